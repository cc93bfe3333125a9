// base64url and RFC 3339 helpers.
#include "identity/base64url.hpp"
#include "identity/time_format.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

using namespace std::chrono;

TEST(Base64Url, RoundTripsAllLengths) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(base64url_decode(base64url_encode(data)), data) << i;
    data.push_back(static_cast<char>(i * 37 + 250));
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Base64Url, RejectsPaddingForeignCharactersAndNonCanonicalForms) {
  EXPECT_FALSE(base64url_decode("YQ=="));
  EXPECT_FALSE(base64url_decode("a+b/"));
  EXPECT_FALSE(base64url_decode("YQ Q"));
  EXPECT_FALSE(base64url_decode("Y"));   // one leftover char cannot hold a byte
  EXPECT_FALSE(base64url_decode("YR"));  // "a" is YQ; YR has non-zero trailing bits
  EXPECT_EQ(base64url_decode("YQ"), "a");
  EXPECT_EQ(base64url_decode(""), "");
}

TEST(Rfc3339, ParsesZuluOffsetsAndFractions) {
  SysTime epoch2027 = SysTime(sys_days(year(2027) / 1 / 1));
  EXPECT_EQ(parse_rfc3339("2027-01-01T00:00:00Z"), epoch2027);
  EXPECT_EQ(parse_rfc3339("2027-01-01T02:00:00+02:00"), epoch2027);
  EXPECT_EQ(parse_rfc3339("2026-12-31T23:30:00-00:30"), epoch2027);
  EXPECT_EQ(parse_rfc3339("2027-01-01T00:00:00.250Z"), epoch2027);  // fractions are accepted
  EXPECT_EQ(format_rfc3339(epoch2027 + hours(13) + minutes(5) + seconds(9)), "2027-01-01T13:05:09Z");
}

TEST(Rfc3339, RejectsMalformedTimes) {
  for (const char* bad : {"2027-01-01", "2027-01-01T00:00:00", "2027-13-01T00:00:00Z", "2027-02-30T00:00:00Z",
                          "2027-01-01T24:00:00Z", "2027-01-01T00:00:00Zjunk", "2027-1-01T00:00:00Z",
                          "2027-01-01T00:00:00.Z", "2027-01-01T00:00:00+2:00", ""})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(Rfc3339, DateOnlyMeansMidnightUtc) {
  EXPECT_EQ(parse_date_or_rfc3339("2027-01-01"), SysTime(sys_days(year(2027) / 1 / 1)));
  EXPECT_EQ(parse_date_or_rfc3339("2027-01-01T00:00:00Z"), SysTime(sys_days(year(2027) / 1 / 1)));
  EXPECT_FALSE(parse_date_or_rfc3339("2027-02-29"));
  EXPECT_FALSE(parse_date_or_rfc3339("01/01/2027"));
}

}  // namespace
}  // namespace toolgate
