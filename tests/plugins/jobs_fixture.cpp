// Fixture for long-running tools: `stepper` runs as a job and advances one step each time the
// test calls `step` on the same channel (a name the test picks, so jobs never share state);
// `step` returns only after the stepper has emitted that step's partial result and progress, so
// the test knows what a poll must show without sleeping. `await_cancel` returns once the stepper
// on a channel has seen is_cancelled(), which is how a test proves cancellation reached the
// plugin. A stepper called with "ignoreCancel": true is a plugin slow to stop: it waits for its
// steps whatever happens.
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

namespace json = boost::json;
using toolgate::Call;
using toolgate::Result;

namespace {

struct Channel {
  int granted = 0;      // steps the test has allowed
  int done = 0;         // steps the stepper has finished (partial + progress emitted)
  bool cancelled = false;
};

std::mutex mu;
std::condition_variable changed;
std::map<std::string, Channel> channels;
constexpr auto kWait = std::chrono::seconds(15);

std::string channel_of(std::string_view args) {
  return std::string(json::parse(args).as_object().at("channel").as_string());
}

Result stepper(Call& call, std::string_view args) {
  json::object a = json::parse(args).as_object();
  std::string name(a.at("channel").as_string());
  int steps = a.contains("steps") ? static_cast<int>(a.at("steps").as_int64()) : 3;
  bool ignore_cancel = a.contains("ignoreCancel") && a.at("ignoreCancel").as_bool();
  auto cancelled = [&] { return !ignore_cancel && call.cancelled(); };
  for (int i = 1; i <= steps; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      // Cancellation is a flag, not an event: look at it every few milliseconds while waiting.
      while (channels[name].granted < i && !cancelled()) changed.wait_for(lock, std::chrono::milliseconds(5));
      if (cancelled()) {
        channels[name].cancelled = true;
        changed.notify_all();
        return Result::text("stopped after cancellation at step " + std::to_string(i));
      }
    }
    call.partial(json::serialize(json::object{{"step", i}}));
    call.progress(i, steps, "step " + std::to_string(i));
    std::lock_guard<std::mutex> lock(mu);
    channels[name].done = i;
    changed.notify_all();
  }
  if (a.contains("fail") && a.at("fail").as_bool()) return Result::error("stepper failed on purpose");
  return Result::structured(json::serialize(json::object{{"channel", name}, {"steps", steps}}));
}

Result step(Call&, std::string_view args) {
  std::string name = channel_of(args);
  std::unique_lock<std::mutex> lock(mu);
  int want = ++channels[name].granted;
  changed.notify_all();
  if (!changed.wait_for(lock, kWait, [&] { return channels[name].done >= want || channels[name].cancelled; }))
    return Result::error("step " + std::to_string(want) + " on " + name + " was not taken within 15 s");
  return Result::text("step " + std::to_string(want) + " done");
}

Result await_cancel(Call&, std::string_view args) {
  std::string name = channel_of(args);
  std::unique_lock<std::mutex> lock(mu);
  if (!changed.wait_for(lock, kWait, [&] { return channels[name].cancelled; }))
    return Result::error("the stepper on " + name + " did not see a cancellation within 15 s");
  return Result::text("cancel seen");
}

}  // namespace

TOOLGATE_PLUGIN("fx_jobs", "1.0.0") {
  plugin.tool("stepper", stepper);
  plugin.tool("stepper_required", stepper);
  plugin.tool("step", step);
  plugin.tool("await_cancel", await_cancel);
}
