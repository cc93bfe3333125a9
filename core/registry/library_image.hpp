// A plugin library's bytes, copied once into a sealed anonymous file (memfd) and hashed while
// copying. The host checks that hash against the manifest and then loads the library from the
// memfd (/proc/self/fd/N), so the bytes verified are exactly the bytes that run: the file on
// disk can be rewritten in place, truncated or replaced at any moment after the copy (a plugin
// being upgraded by `cp` while it runs) without touching the loaded code or reopening a window
// between check and load. Seals forbid any further write, shrink or grow of the copy.
#pragma once

#include <string>
#include <vector>

namespace toolgate {

class LibraryImage {
 public:
  // Copies `path` into a sealed memfd. Throws std::runtime_error naming the file and the reason.
  explicit LibraryImage(const std::string& path);
  ~LibraryImage();
  LibraryImage(const LibraryImage&) = delete;
  LibraryImage& operator=(const LibraryImage&) = delete;

  const std::string& sha256() const { return sha256_; }
  // A path the dynamic loader can open: /proc/self/fd/N of the sealed copy, with an N that no
  // object already loaded is known by (see the .cpp). Valid while this object lives; keep it
  // alive as long as the library stays loaded. Throws std::runtime_error if none can be had.
  std::string load_path();
  std::size_t size() const { return size_; }

 private:
  int fd_ = -1;
  std::vector<int> stale_;  // descriptor numbers a stale loaded object is known by
  std::size_t size_ = 0;
  std::string sha256_;
};

}  // namespace toolgate
