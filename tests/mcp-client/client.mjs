// Drives `pipeline mcp` with the official MCP TypeScript SDK client, as an MCP host would, and prints what it got
// as one JSON object for tests/mcp_sdk.rs to check. Usage: node client.mjs PIPELINE_BIN DATA_DIR QUERY
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [bin, dataDir, query] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command: bin,
  args: ["--data-dir", dataDir, "mcp"],
  env: process.env,
  stderr: "ignore",
});
const client = new Client({ name: "pipeline-sdk-test", version: "1.0.0" });
await client.connect(transport);

const tools = await client.listTools();
const text = await client.callTool({ name: "search_conversations", arguments: { query, limit: 10 } });
const json = await client.callTool({
  name: "search_conversations",
  arguments: { query, limit: 3, format: "json" },
});
const first = json.structuredContent?.hits?.[0]?.message_id;
const context = await client.callTool({
  name: "get_conversation_context",
  arguments: { message_id: first, before: 2, after: 2, format: "json" },
});
const refused = await client.callTool({
  name: "search_conversations",
  arguments: { query, kind: ["robot"] },
});

console.log(
  JSON.stringify({
    server: client.getServerVersion(),
    tools: tools.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
    text: { isError: text.isError ?? false, text: text.content?.[0]?.text },
    json: { isError: json.isError ?? false, structured: json.structuredContent, text: json.content?.[0]?.text },
    context: { isError: context.isError ?? false, structured: context.structuredContent },
    refused: { isError: refused.isError ?? false, text: refused.content?.[0]?.text },
  }),
);
await client.close();
