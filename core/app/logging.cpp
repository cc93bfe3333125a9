#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace toolgate {

void setup_stderr_logging(const std::string& level) {
  auto logger = spdlog::get("toolgate");
  if (!logger) {
    logger = std::make_shared<spdlog::logger>("toolgate", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("toolgate %Y-%m-%dT%H:%M:%S.%e %l: %v");
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace toolgate
