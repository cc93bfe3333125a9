// Replays tests/fuzz/corpus/<target>/* (seeds) and tests/fuzz/regressions/<target>/* (inputs that
// once crashed a fuzzer) through the fuzz target bodies. Under scripts/sanitize this is where a
// regression input trips ASan/UBSan again; in every build it proves the seeds still parse.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz_targets.hpp"
#ifdef TOOLGATE_FUZZ_HAVE_AUDIT
#include <unistd.h>

#include "audit/audit_verify.hpp"
#endif

namespace toolgate {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const std::string& kind, const std::string& target) {
  std::vector<fs::path> out;
  fs::path dir = fs::path(TOOLGATE_FUZZ_DIR) / kind / target;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.' && e.path().extension() != ".md")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t replay(const fuzz::Target& t, const std::string& kind) {
  std::size_t n = 0;
  for (const auto& p : inputs(kind, t.name)) {
    std::ifstream f(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(p.string());
    EXPECT_EQ(t.body(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), 0);
    ++n;
  }
  return n;
}

TEST(FuzzReplay, EveryTargetHasSeedsAndTheyRunCleanly) {
  for (const auto& t : fuzz::kTargets) {
    SCOPED_TRACE(t.name);
    EXPECT_GE(replay(t, "corpus"), 3u) << "tests/fuzz/corpus/" << t.name << " needs seeds";
  }
}

TEST(FuzzReplay, CrashRegressionsRunCleanly) {
  for (const auto& t : fuzz::kTargets) replay(t, "regressions");
}

TEST(FuzzReplay, EmptyAndTinyInputs) {
  for (const auto& t : fuzz::kTargets)
    for (std::string s : {std::string(), std::string(1, '\0'), std::string("\x01"), std::string("{")})
      EXPECT_EQ(t.body(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()), 0) << t.name;
}

#ifdef TOOLGATE_FUZZ_HAVE_AUDIT
// The audit seeds are worth something only if the good one is a valid chain.
TEST(FuzzReplay, TheGoodAuditSeedIsAValidChain) {
  std::ifstream f(fs::path(TOOLGATE_FUZZ_DIR) / "corpus" / "audit_verify" / "good", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty());
  fs::path dir = fs::temp_directory_path() / ("toolgate-seed-check-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "audit.jsonl", std::ios::binary) << bytes.substr(1);
  VerifyReport r = verify_audit_dir(dir.string(), std::nullopt);
  fs::remove_all(dir);
  EXPECT_TRUE(r.ok) << ::testing::PrintToString(r.problems);
  EXPECT_EQ(r.entries, 3u);
}
#endif

}  // namespace
}  // namespace toolgate
