/**
 * Built-in vocabulary for the data generator. The generator prefers the real servers in
 * ../shared/data/registry/seed/ (see model.ts) and only falls back to these lists when that file is absent (a fresh
 * clone). They are also mixed into the seed model to widen its variety.
 *
 * Word lists are whitespace-separated strings so that the file stays compact under prettier.
 */

const words = (text: string): readonly string[] => text.trim().split(/\s+/);

/** Subjects of MCP servers: products, protocols, data stores, domains. Lower case, [a-z0-9] only. */
export const TOPICS = words(`
  postgres mysql sqlite mongodb redis clickhouse snowflake bigquery duckdb elasticsearch opensearch supabase neon
  firebase dynamodb cassandra couchbase neo4j qdrant pinecone weaviate chroma milvus github gitlab bitbucket jira
  confluence linear asana trello notion obsidian slack discord telegram whatsapp teams zoom gmail outlook calendar
  drive dropbox box onedrive sharepoint figma miro canva stripe paypal shopify woocommerce hubspot salesforce zendesk
  intercom twilio sendgrid mailgun airtable googlesheets excel pdf markdown filesystem git docker kubernetes helm
  terraform ansible aws azure gcp cloudflare vercel netlify heroku fly render railway datadog grafana prometheus sentry
  pagerduty opsgenie newrelic splunk loki jaeger weather maps geocoding news finance stocks crypto ethereum solana
  bitcoin defi blockchain wallet search browser playwright puppeteer scraper crawler fetch youtube spotify twitter
  reddit linkedin hackernews arxiv pubmed wikipedia translate ocr speech tts whisper image video audio memory knowledge
  rag vector embeddings openai anthropic gemini ollama huggingface replicate langchain llamaindex graphql openapi rest
  grpc kafka rabbitmq nats mqtt iot homeassistant calendly todoist clickup monday basecamp quickbooks xero invoice
  accounting payroll hr crm erp sap oracle servicenow okta auth0 vault secrets security vulnerability sonarqube snyk
  semgrep codeql lint testing ci jenkins circleci buildkite argocd npm pypi cargo maven nuget docs devdocs context time
  calculator math chess travel flights hotels food recipes fitness health medical legal education analytics mixpanel
  amplitude segment posthog ga4 seo ads email sms voice podcast rss jupyter pandas spark airflow dbt looker tableau
  powerbi metabase superset excalidraw mermaid diagram unity blender godot minecraft arduino raspberrypi ssh shell
  terminal sandbox python node deno rust golang java dotnet swift android xcode vscode jetbrains cursor zed tmux
`);

export const OWNER_SUFFIXES = words('labs io dev hq ai inc tech cloud team oss community org app systems data');

export const FIRST_NAMES = words(`
  alex sam jordan taylor morgan casey jamie riley avery quinn kai noah liam emma olivia mia lucas leo hana yuki wei li
  chen arjun priya ravi omar fatima ivan olga mateo sofia lars ingrid kofi amara diego lena felix nina
`);

export const LAST_NAMES = words(`
  smith kim nguyen garcia mueller rossi silva tanaka wang patel khan novak berg dubois martin lopez ivanov cohen okafor
  jensen
`);

export const VERBS = words(`
  query search manage create update list inspect monitor analyze sync export import automate explore summarize deploy
  track browse read write
`);

export const THINGS: readonly string[] = [
  'tables', 'issues', 'pull requests', 'documents', 'files', 'records', 'tickets', 'messages', 'channels', 'events',
  'metrics', 'logs', 'traces', 'dashboards', 'invoices', 'customers', 'orders', 'payments', 'contacts', 'pages',
  'repositories', 'workflows', 'pipelines', 'alerts', 'incidents', 'notes', 'tasks', 'projects', 'schemas', 'queries',
]; // prettier-ignore

/** Description templates. {Topic}/{Topic2} are capitalised subjects, {verb}/{things} are filled from the lists above. */
export const DESCRIPTION_TEMPLATES: readonly string[] = [
  'MCP server for {Topic}',
  'Model Context Protocol server for {Topic}',
  'A Model Context Protocol server that connects AI assistants to {Topic}',
  'Interact with {Topic} from any MCP client: {verb} {things} and {verb2} {things2}',
  '{Topic} integration for LLMs via the Model Context Protocol',
  'Query, search and manage {Topic} {things} with natural language',
  'Unofficial {Topic} MCP server',
  '{Topic} tools for agents: {verb} {things}, {verb2} {things2}, and more.',
  'Lets Claude, Cursor and other MCP clients {verb} {Topic} {things}',
  'Read-only access to {Topic} {things} for AI agents',
  '{Topic} MCP',
  'Official {Topic} MCP server',
  'An MCP server to {verb} {things} in {Topic} and {Topic2}',
  'Bridge between {Topic} and {Topic2} for AI workflows',
  'Fast, typed {Topic} client exposed as MCP tools ({verb}, {verb2})',
];

/** Environment variable suffixes and descriptions; the prefix is the upper-cased topic (e.g. POSTGRES_HOST). */
export const ENV_VAR_SUFFIXES: readonly (readonly [string, string])[] = [
  ['API_KEY', 'API key for {Topic}'],
  ['TOKEN', 'Personal access token for {Topic}'],
  ['URL', 'Base URL of your {Topic} instance'],
  ['HOST', 'Hostname of the {Topic} server'],
  ['PORT', 'Port of the {Topic} server'],
  ['USERNAME', '{Topic} user name'],
  ['PASSWORD', '{Topic} password'],
  ['CLIENT_ID', 'OAuth client id'],
  ['CLIENT_SECRET', 'OAuth client secret'],
  ['REGION', 'Region, e.g. us-east-1'],
  ['WORKSPACE', 'Workspace identifier'],
  ['LOG_LEVEL', 'Log level (debug, info, warn, error)'],
];
