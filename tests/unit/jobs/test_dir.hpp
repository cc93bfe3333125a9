// A temporary state directory for job unit tests, removed afterwards.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace toolgate::testing {

class StateDir {
 public:
  StateDir() {
    char tmpl[] = "/tmp/toolgate-jobs-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~StateDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace toolgate::testing
