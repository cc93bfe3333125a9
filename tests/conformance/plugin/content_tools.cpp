// Tools whose results are fixed: one per content type, one that fails on purpose, and one
// that exists to be listed with a JSON Schema 2020-12 inputSchema.
#include <boost/json.hpp>

#include "tools.hpp"

namespace conformance {

namespace json = boost::json;
using toolgate::Call;
using toolgate::Result;

namespace {

// A 1x1 red pixel, RGB, 8 bits per channel (generated for this plugin, 69 bytes).
constexpr std::string_view kRedPixelPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQD3A0FDAAAAAElFTkSuQmCC";

// 10 ms of silence: RIFF/WAVE, PCM, mono, 8000 Hz, 16 bits per sample (generated, 204 bytes).
constexpr std::string_view kSilenceWav =
    "UklGRsQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YaAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

}  // namespace

Result simple_text(Call&, std::string_view) {
  return Result::text("This is a simple text response for testing.");
}

Result image_content(Call&, std::string_view) {
  Result r;
  r.add_image(kRedPixelPng, "image/png");
  return r;
}

Result audio_content(Call&, std::string_view) {
  Result r;
  r.add_audio(kSilenceWav, "audio/wav");
  return r;
}

Result embedded_resource(Call&, std::string_view) {
  Result r;
  r.add_resource_text("test://embedded-resource", "text/plain", "This is an embedded resource content.");
  return r;
}

Result multiple_content_types(Call&, std::string_view) {
  Result r = Result::text("Multiple content types test:");
  r.add_image(kRedPixelPng, "image/png");
  r.add_resource_text("test://mixed-content-resource", "application/json", R"({"test":"data","value":123})");
  return r;
}

Result error_handling(Call&, std::string_view) {
  return Result::error("This tool intentionally returns an error for testing");
}

// The suite only lists this tool; called, it says what it was given.
Result json_schema_2020_12(Call&, std::string_view args) {
  // The host validated args against the inputSchema, so they are an object.
  json::object o = json::parse(args).as_object();
  std::string said = "Received";
  if (auto* n = o.if_contains("name"); n && n->is_string()) said += " name=" + std::string(n->get_string());
  if (auto* a = o.if_contains("address")) said += " address=" + json::serialize(*a);
  if (o.empty()) said += " no arguments";
  return Result::text(said);
}

}  // namespace conformance
