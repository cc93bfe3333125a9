// The hand-written JSON of audit lines: whatever the bytes and wherever they sit (the string
// writer skips plain ASCII eight bytes at a time, so every alignment is tried), the text parses
// back to the same string, holds no raw control character, and invalid UTF-8 becomes U+FFFD.
#include "audit/json_line.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace toolgate {
namespace {

namespace json = boost::json;

std::string as_json_text(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonLine, StringsRoundTripWhereverTheSpecialByteSits) {
  const std::vector<std::string> pieces = {"\"", "\\", "\n", "\t", std::string(1, '\0'), "\x01", "\x1f", "\x7f",
                                           "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "/"};
  for (const auto& piece : pieces) {
    for (std::size_t at = 0; at <= 17; ++at) {
      std::string s = std::string(at, 'a') + piece + std::string(24 - at, 'b');
      std::string out = as_json_text(s);
      for (char c : out) ASSERT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte, piece at " << at;
      json::value back = json::parse(out);
      ASSERT_TRUE(back.is_string());
      EXPECT_EQ(std::string(back.get_string()), s) << "piece " << json::serialize(json::string(piece)) << " at " << at;
    }
  }
}

TEST(JsonLine, InvalidUtf8BecomesReplacementCharacterAtAnyOffset) {
  for (std::size_t at = 0; at <= 17; ++at) {
    std::string s = std::string(at, 'a') + "\xff" + std::string(20, 'b') + "\xc3";  // stray byte, cut sequence
    json::value back = json::parse(as_json_text(s));
    const std::string replacement = "\xef\xbf\xbd";  // U+FFFD
    EXPECT_EQ(std::string(back.get_string()), std::string(at, 'a') + replacement + std::string(20, 'b') + replacement)
        << "at " << at;
  }
}

TEST(JsonLine, ScalarsAreWrittenAsBoostJsonWritesThem) {
  std::vector<json::value> values = {json::value(std::numeric_limits<std::int64_t>::min()),
                                     json::value(std::numeric_limits<std::int64_t>::max()),
                                     json::value(std::numeric_limits<std::uint64_t>::max()),
                                     json::value(0),
                                     json::value(-42),
                                     json::value(2.5),
                                     json::value(true),
                                     json::value(false),
                                     json::value(nullptr)};
  for (const auto& v : values) {
    std::string out;
    append_json_value(out, v);
    EXPECT_EQ(out, json::serialize(v));
  }
  json::value doc = json::parse(R"({"b":[1,-2,3.5,"x\n",null],"a":{"k":true}})");
  std::string nested;
  append_json_value(nested, doc);
  EXPECT_EQ(nested, json::serialize(doc)) << "member order and nesting are kept";
  EXPECT_EQ(nested.substr(0, 15), R"({"b":[1,-2,3.5E)");
}

}  // namespace
}  // namespace toolgate
