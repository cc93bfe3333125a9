// Fixture: tools that misbehave on purpose (throw, print to stdout, never return, return
// nothing, break their outputSchema) and tools the tests steer (block until released, honour
// cancellation, log and report progress, ask the client), so integration tests never need
// sleeps to line things up.
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace json = boost::json;
using toolgate::Call;
using toolgate::Result;

namespace {

std::mutex mu;
std::condition_variable released_cv;
int releases = 0;
std::atomic<int> cancels_seen{0};
std::atomic<int> running{0};

Result wait_for_release(Call& call, std::string_view) {
  ++running;
  call.log(TG_LOG_INFO, "waiting for release");
  std::unique_lock<std::mutex> lock(mu);
  released_cv.wait(lock, [] { return releases > 0; });
  --releases;
  --running;
  return Result::text("released");
}

Result release(Call&, std::string_view) {
  {
    std::lock_guard<std::mutex> lock(mu);
    ++releases;
  }
  released_cv.notify_one();
  return Result::text("ok");
}

Result honours_cancel(Call& call, std::string_view) {
  call.log(TG_LOG_INFO, "started");
  while (!call.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ++cancels_seen;
  return Result::text("stopped after cancellation");
}

Result hangs(Call& call, std::string_view) {
  call.log(TG_LOG_INFO, "hanging");
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

Result log_progress(Call& call, std::string_view) {
  call.log(TG_LOG_DEBUG, "debug detail");
  call.log(TG_LOG_WARNING, "warning detail");
  for (int i = 1; i <= 3; ++i) call.progress(i, 3, "step " + std::to_string(i));
  call.progress(2, 3, "going backwards is refused");
  return Result::text("done");
}

Result elicit(Call& call, std::string_view) {
  std::string reply = call.ask_client(
      "elicitation/create",
      R"({"message":"Proceed?","requestedSchema":{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}})");
  return Result::text("client said: " + reply);
}

Result rich_content(Call&, std::string_view) {
  Result r = Result::text("see attachments");
  r.add_image("aGVsbG8=", "image/png");
  r.add_audio("aGVsbG8=", "audio/wav");
  r.add_resource_link("file:///tmp/report.txt", "report");
  r.set_structured(R"({"count":3})");
  return r;
}

Result whoami(Call& call, std::string_view) {
  toolgate::Principal p = call.principal();
  json::array scopes;
  for (auto& s : p.scopes) scopes.push_back(json::string(s));
  return Result::structured(json::serialize(json::object{{"subject", p.subject}, {"tenant", p.tenant}, {"scopes", scopes}}));
}

}  // namespace

TOOLGATE_PLUGIN("fx_behaviours", "1.0.0") {
  plugin.tool("throws", [](Call&, std::string_view) -> Result { throw std::runtime_error("disk quota exceeded in fixture"); });
  plugin.tool("prints_stdout", [](Call&, std::string_view) {
    std::printf("STRAY-PRINTF-OUTPUT\n");
    std::fflush(stdout);
    std::cout << "STRAY-COUT-OUTPUT" << std::endl;
    ::write(1, "STRAY-WRITE-OUTPUT\n", 19);
    return Result::text("printed");
  });
  plugin.tool("hangs", hangs);
  plugin.tool("honours_cancel", honours_cancel);
  plugin.tool("cancel_count", [](Call&, std::string_view) { return Result::text(std::to_string(cancels_seen.load())); });
  plugin.tool("wait_for_release", wait_for_release);
  plugin.tool("release", release);
  plugin.tool("bad_output", [](Call&, std::string_view) { return Result::structured(R"({"count":"three"})"); });
  plugin.tool("good_output", [](Call&, std::string_view) { return Result::structured(R"({"count":3})"); });
  plugin.tool("log_progress", log_progress);
  plugin.tool("elicit", elicit);
  plugin.tool("bad_utf8", [](Call& call, std::string_view) -> Result {  // bytes that are not UTF-8
    call.log(TG_LOG_WARNING, "log \xff\xfe bytes");
    call.progress(1, 2, "progress \xc3");
    throw std::runtime_error("error \xed\xa0\x80 text");  // a UTF-16 surrogate, encoded: not UTF-8 either
  });
  plugin.tool("rich_content", rich_content);
  plugin.tool("whoami", whoami);
  plugin.tool("delete_thing", [](Call&, std::string_view args) {
    return Result::text("deleted " + std::string(json::parse(args).at("id").as_string()));
  });
  plugin.tool("read_env", [](Call&, std::string_view) {
    const char* v = std::getenv("TOOLGATE_TOKEN");
    return Result::text(v ? v : "(unset)");
  });
}
