// Runs the official Notion JavaScript SDK (@notionhq/client) against the notion-emulator.
//
// Env: NOTION_BASE_URL, NOTION_TOKEN, NOTION_DATABASE_ID, NOTION_DATA_SOURCE_ID, NOTION_PAGE_ID
// (a page of that data source), NOTION_LEGACY_PAGE_ID (a page whose status lacks "In Voting"),
// NOTION_UNSHARED_PAGE_ID (a page not shared with the token).
// Exits non-zero with a message naming the first mismatch.
import {
  APIErrorCode,
  Client,
  collectPaginatedAPI,
  isFullDataSource,
  isFullPage,
  isNotionClientError,
  iteratePaginatedAPI,
} from "@notionhq/client";

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`scenario: environment variable ${name} is required`);
    process.exit(2);
  }
  return value;
};

const baseUrl = env("NOTION_BASE_URL");
const token = env("NOTION_TOKEN");
const databaseId = env("NOTION_DATABASE_ID");
const dataSourceId = env("NOTION_DATA_SOURCE_ID");
const pageId = env("NOTION_PAGE_ID");
const legacyPageId = env("NOTION_LEGACY_PAGE_ID");
const unsharedPageId = env("NOTION_UNSHARED_PAGE_ID");

let step = "start";
const check = (condition, message) => {
  if (!condition) {
    throw new Error(`[${step}] ${message}`);
  }
};
const titleOf = (page) =>
  Object.values(page.properties)
    .filter((p) => p.type === "title")
    .flatMap((p) => p.title.map((t) => t.plain_text))
    .join("");

async function expectError(what, promise, check) {
  try {
    await promise;
  } catch (error) {
    check(error);
    return;
  }
  throw new Error(`[${step}] ${what}: expected an error, the call succeeded`);
}

// NOTION_VERSION (optional): the Notion-Version the SDK sends (default: the SDK's own).
const notionVersion = process.env.NOTION_VERSION || undefined;
const notion = new Client({ auth: token, baseUrl, maxRetries: 0, logLevel: "error", notionVersion });

step = "search";
const search = await notion.search({ query: "budget", filter: { property: "object", value: "page" } });
check(search.object === "list", "search returns a list");
check(search.results.some((p) => isFullPage(p) && titleOf(p) === "Budget Referendum"), "search finds 'Budget Referendum'");
const sources = await notion.search({ filter: { property: "object", value: "data_source" } });
check(sources.results.some((d) => d.id === dataSourceId), "search lists the data source");

step = "retrieve database";
const database = await notion.databases.retrieve({ database_id: databaseId });
check(database.object === "database", "database object");
check(database.data_sources?.[0]?.id === dataSourceId, "database lists its data source");

step = "retrieve data source";
const dataSource = await notion.dataSources.retrieve({ data_source_id: dataSourceId });
check(isFullDataSource(dataSource), "isFullDataSource accepts the data source");
const statusProp = dataSource.properties["Voting Status"];
check(statusProp?.type === "status", "Voting Status is a status property");
check(statusProp.status.options.map((o) => o.name).join(",") === "Not started,In Voting,Done", "status options");

step = "query with filter and pagination";
const rows = [];
for await (const row of iteratePaginatedAPI(notion.dataSources.query, {
  data_source_id: dataSourceId,
  page_size: 2,
  filter: { or: [{ property: "Voting Status", status: { is_not_empty: true } }, { property: "Name", title: { contains: "" } }] },
  sorts: [{ timestamp: "created_time", direction: "ascending" }],
})) {
  rows.push(row);
}
check(rows.length === 3, `iteratePaginatedAPI yields 3 rows, got ${rows.length}`);
check(rows.every(isFullPage), "rows are full pages");
check(titleOf(rows[0]) === "Board President 2026", "sorted by created_time");
const narrowed = await notion.dataSources.query({
  data_source_id: dataSourceId,
  filter_properties: ["title", statusProp.id],
  filter: { property: "Voting Status", status: { equals: "In Voting" } },
});
check(narrowed.results.length === 1, "status filter narrows to one row");
check(Object.keys(narrowed.results[0].properties).sort().join(",") === "Name,Voting Status", "filter_properties");

step = "update status and read back";
const updated = await notion.pages.update({
  page_id: pageId,
  properties: { "Voting Status": { status: { name: "Done" } }, "Results Link": { url: "https://example.org/r/1" } },
});
check(updated.properties["Voting Status"].status.name === "Done", "update returns the new status");
const reread = await notion.pages.retrieve({ page_id: pageId });
check(reread.properties["Voting Status"].status.name === "Done", "status reads back");
check(reread.properties["Results Link"].url === "https://example.org/r/1", "url reads back");
const item = await notion.pages.properties.retrieve({ page_id: pageId, property_id: statusProp.id });
check(item.object === "property_item" && item.status.name === "Done", "property item");

step = "blocks, comments, users";
await notion.blocks.children.append({
  block_id: pageId,
  children: [1, 2, 3].map((n) => ({ paragraph: { rich_text: [{ text: { content: `para ${n}` } }] } })),
});
const blocks = await collectPaginatedAPI(notion.blocks.children.list, { block_id: pageId, page_size: 2 });
check(blocks.length === 3, `3 blocks, got ${blocks.length}`);
await notion.comments.create({ parent: { page_id: pageId }, rich_text: [{ text: { content: "Results are in." } }] });
const comments = await notion.comments.list({ block_id: pageId });
check(comments.results.length === 1, "one comment");
const users = await collectPaginatedAPI(notion.users.list, {});
check(users.some((u) => u.type === "bot"), "users include the bot");
const me = await notion.users.me({});
check(me.type === "bot", "users.me is a bot");

step = "unknown status option";
await expectError(
  "status not in the schema",
  notion.pages.update({ page_id: legacyPageId, properties: { "Voting Status": { status: { name: "In Voting" } } } }),
  (e) => {
    check(isNotionClientError(e), "a Notion client error");
    check(e.code === APIErrorCode.ValidationError, `code validation_error, got ${e.code}`);
    check(e.status === 400, "status 400");
  },
);

step = "unshared page";
await expectError("unshared page", notion.pages.retrieve({ page_id: unsharedPageId }), (e) => {
  check(e.code === APIErrorCode.ObjectNotFound, `code object_not_found, got ${e.code}`);
  check(e.status === 404, "status 404");
  check(/shared with your integration/.test(e.message), "message mentions sharing");
});

step = "missing version";
const withoutVersion = new Client({
  auth: token,
  baseUrl,
  maxRetries: 0,
  logLevel: "error",
  fetch: (url, init) => {
    const headers = { ...init.headers };
    delete headers["Notion-Version"];
    return fetch(url, { ...init, headers });
  },
});
await expectError("request without Notion-Version", withoutVersion.users.me({}), (e) => {
  check(isNotionClientError(e), "a Notion client error");
  // missing_version is not in the SDK's APIErrorCode enum: it surfaces as an UnknownHTTPResponseError.
  check(e.code === "notionhq_client_response_error", `code notionhq_client_response_error, got ${e.code}`);
  check(e.status === 400, `status 400, got ${e.status}`);
  check(JSON.parse(e.body).code === "missing_version", "body code missing_version");
});

step = "bad token";
const badToken = new Client({ auth: "ntn_not_a_token", baseUrl, maxRetries: 0, logLevel: "error" });
await expectError("bad token", badToken.users.me({}), (e) => {
  check(e.code === APIErrorCode.Unauthorized, `code unauthorized, got ${e.code}`);
  check(e.status === 401, "status 401");
});

console.log("sdk-js scenario: ok");
