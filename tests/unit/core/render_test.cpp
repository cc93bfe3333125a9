// Version negotiation and per-version rendering (core/protocol/versions.hpp, render.hpp): which
// fields of a tool each protocol version sees, and how results are adapted for older clients.
#include "protocol/render.hpp"
#include "protocol/versions.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

namespace json = boost::json;

constexpr const char* k20241105 = "2024-11-05";
constexpr const char* k20250326 = "2025-03-26";
constexpr const char* k20250618 = "2025-06-18";
constexpr const char* k20251125 = "2025-11-25";
constexpr const char* k20260728 = "2026-07-28";

TEST(Versions, InitializeVersionsOldestFirst) {
  EXPECT_EQ(initialize_versions(), (std::vector<std::string>{k20241105, k20250326, k20250618, k20251125}));
  EXPECT_STREQ(kLatestInitializeVersion, k20251125);
  EXPECT_TRUE(is_supported_version(k20250618));
  EXPECT_FALSE(is_supported_version("2025-01-01"));
  EXPECT_FALSE(is_supported_version(""));
}

TEST(Versions, NegotiateEchoesSupportedAndOtherwiseAnswersLatest) {
  for (const char* v : {k20241105, k20250326, k20250618, k20251125}) EXPECT_EQ(negotiate_version(v), v);
  EXPECT_EQ(negotiate_version("2099-01-01"), k20251125);
  EXPECT_EQ(negotiate_version("2024-10-07"), k20251125);
  EXPECT_EQ(negotiate_version(""), k20251125);
  EXPECT_EQ(negotiate_version("2025-06-18 "), k20251125);  // exact match only
}

void expect_features(const char* v, bool annotations, bool batches, bool title, bool icons) {
  VersionFeatures f = features_of(v);
  EXPECT_EQ(f.annotations, annotations) << v;
  EXPECT_EQ(f.batches, batches) << v;
  EXPECT_EQ(f.title, title) << v;
  EXPECT_EQ(f.icons, icons) << v;
}

TEST(Versions, FeaturesPerVersion) {
  expect_features(k20241105, false, false, false, false);
  expect_features(k20250326, true, true, false, false);
  expect_features(k20250618, true, false, true, false);
  expect_features(k20251125, true, false, true, true);
  expect_features(k20260728, true, false, true, true);
}

ToolManifest full_tool() {
  ToolManifest t;
  t.name = "lookup";
  t.title = "Lookup";
  t.description = "Looks a name up.";
  t.input_schema = json::object{{"type", "object"}};
  t.output_schema = json::object{{"type", "object"}, {"properties", json::object{}}};
  t.annotations = json::object{{"readOnlyHint", true}};
  t.icons = json::array{json::object{{"src", "https://example.com/i.png"}}};
  t.task_support = "optional";
  return t;
}

std::vector<std::string> keys(const json::object& o) {
  std::vector<std::string> out;
  for (const auto& kv : o) out.emplace_back(kv.key());
  return out;
}

using Keys = std::vector<std::string>;

TEST(RenderTool, FieldsPresentPerVersion) {
  ToolManifest t = full_tool();
  EXPECT_EQ(keys(render_tool(t, k20241105)), (Keys{"name", "description", "inputSchema"}));
  EXPECT_EQ(keys(render_tool(t, k20250326)), (Keys{"name", "description", "inputSchema", "annotations"}));
  EXPECT_EQ(keys(render_tool(t, k20250618)),
            (Keys{"name", "title", "description", "inputSchema", "outputSchema", "annotations"}));
  Keys all{"name", "title", "description", "inputSchema", "outputSchema", "annotations", "icons", "execution"};
  EXPECT_EQ(keys(render_tool(t, k20251125)), all);
  // 2026-07-28 keeps icons but drops execution: tasks became an extension (schema/2026-07-28 Tool).
  EXPECT_EQ(keys(render_tool(t, k20260728)),
            (Keys{"name", "title", "description", "inputSchema", "outputSchema", "annotations", "icons"}));
}

TEST(RenderTool, ValuesAreCopiedFromTheManifest) {
  ToolManifest t = full_tool();
  json::object o = render_tool(t, k20251125);
  EXPECT_EQ(o.at("name"), "lookup");
  EXPECT_EQ(o.at("title"), "Lookup");
  EXPECT_EQ(o.at("description"), "Looks a name up.");
  EXPECT_EQ(o.at("inputSchema"), t.input_schema);
  EXPECT_EQ(o.at("outputSchema"), *t.output_schema);
  EXPECT_EQ(o.at("annotations"), *t.annotations);
  EXPECT_EQ(o.at("icons"), *t.icons);
  EXPECT_EQ(o.at("execution"), (json::object{{"taskSupport", "optional"}}));
}

TEST(RenderTool, AbsentOptionalFieldsAreOmittedButExecutionAlwaysStated) {
  ToolManifest t;
  t.name = "bare";
  t.description = "d";
  t.input_schema = json::object{{"type", "object"}};
  EXPECT_EQ(keys(render_tool(t, k20250618)), (Keys{"name", "description", "inputSchema"}));
  json::object o = render_tool(t, k20251125);
  EXPECT_EQ(keys(o), (Keys{"name", "description", "inputSchema", "execution"}));
  EXPECT_EQ(o.at("execution"), (json::object{{"taskSupport", "forbidden"}}));
}

json::object result_of(const char* text) { return json::parse(text).as_object(); }

TEST(AdaptResult, NewerVersionsAreUntouched) {
  const char* text = R"({"content":[{"type":"resource_link","uri":"file:///a","name":"a"},
      {"type":"audio","data":"AA==","mimeType":"audio/wav"}],"structuredContent":{"n":1},"isError":false})";
  for (const char* v : {k20250618, k20251125, k20260728}) {
    json::object r = result_of(text);
    adapt_result(r, v);
    EXPECT_EQ(r, result_of(text)) << v;
  }
}

TEST(AdaptResult, StructuredContentDroppedAndRenderedAsTextWhenNoTextExists) {
  for (const char* v : {k20241105, k20250326}) {
    json::object r = result_of(R"({"content":[],"structuredContent":{"answer":42}})");
    adapt_result(r, v);
    EXPECT_EQ(r, result_of(R"({"content":[{"type":"text","text":"{\"answer\":42}"}]})")) << v;
  }
}

TEST(AdaptResult, StructuredContentDroppedWithoutDuplicateWhenTextExists) {
  json::object r = result_of(R"({"content":[{"type":"text","text":"42"}],"structuredContent":{"answer":42}})");
  adapt_result(r, k20250326);
  EXPECT_EQ(r, result_of(R"({"content":[{"type":"text","text":"42"}]})"));
}

TEST(AdaptResult, NonTextContentAloneStillGetsTheStructuredText) {
  json::object r =
      result_of(R"({"content":[{"type":"image","data":"AA==","mimeType":"image/png"}],"structuredContent":[1,2]})");
  adapt_result(r, k20241105);
  EXPECT_EQ(r, result_of(R"({"content":[{"type":"image","data":"AA==","mimeType":"image/png"},
      {"type":"text","text":"[1,2]"}]})"));
}

TEST(AdaptResult, ResourceLinkBecomesText) {
  for (const char* v : {k20241105, k20250326}) {
    json::object r = result_of(R"({"content":[{"type":"resource_link","uri":"file:///var/log/x.log","name":"x.log",
        "mimeType":"text/plain"}],"isError":false})");
    adapt_result(r, v);
    EXPECT_EQ(r, result_of(R"j({"content":[{"type":"text","text":"resource: file:///var/log/x.log (x.log)"}],
        "isError":false})j"))
        << v;
  }
  json::object r = result_of(R"({"content":[{"type":"resource_link","uri":"https://x/y"}]})");
  adapt_result(r, k20241105);
  EXPECT_EQ(r, result_of(R"({"content":[{"type":"text","text":"resource: https://x/y"}]})"));
}

TEST(AdaptResult, ResourceLinkTextCountsAsTextForStructuredContent) {
  json::object r = result_of(R"({"content":[{"type":"resource_link","uri":"u","name":"n"}],"structuredContent":{"a":1}})");
  adapt_result(r, k20250326);
  EXPECT_EQ(r, result_of(R"j({"content":[{"type":"text","text":"resource: u (n)"}]})j"));
}

TEST(AdaptResult, AudioBecomesTextOnlyFor20241105) {
  const char* text = R"({"content":[{"type":"audio","data":"AA==","mimeType":"audio/wav"}]})";
  json::object r = result_of(text);
  adapt_result(r, k20241105);
  EXPECT_EQ(r, result_of(R"({"content":[{"type":"text",
      "text":"[audio/wav audio omitted: this client's protocol version has no audio content]"}]})"));
  json::object kept = result_of(text);
  adapt_result(kept, k20250326);  // 2025-03-26 knows audio
  EXPECT_EQ(kept, result_of(text));
  json::object no_mime = result_of(R"({"content":[{"type":"audio","data":"AA=="}]})");
  adapt_result(no_mime, k20241105);
  EXPECT_EQ(no_mime, result_of(R"({"content":[{"type":"text",
      "text":"[audio audio omitted: this client's protocol version has no audio content]"}]})"));
}

TEST(AdaptResult, OtherContentAndFieldsAreKept) {
  const char* text = R"({"content":[{"type":"text","text":"a"},{"type":"image","data":"AA==","mimeType":"image/png"},
      {"type":"resource","resource":{"uri":"u","text":"t"}},{"no":"type"},5],"isError":true,"_meta":{"k":1}})";
  json::object r = result_of(text);
  adapt_result(r, k20241105);
  EXPECT_EQ(r, result_of(text));
}

}  // namespace
}  // namespace toolgate
