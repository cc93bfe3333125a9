#include "registry/library_image.hpp"
#include "util/regular_file.hpp"

#include <dlfcn.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <openssl/evp.h>

namespace toolgate {

namespace {

std::string errno_text() { return std::strerror(errno); }

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct DigestCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestCtx() { EVP_MD_CTX_free(ctx); }
};

bool write_all(int fd, const unsigned char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

LibraryImage::LibraryImage(const std::string& path) {
  std::string reason;
  Fd source{open_regular_file(path, reason)};  // never a FIFO or a device such as /dev/zero
  if (source.fd < 0) throw std::runtime_error("cannot open library " + path + ": " + reason);
  Fd image{::memfd_create("toolgate-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
  if (image.fd < 0) throw std::runtime_error("cannot create a memory copy of " + path + ": " + errno_text());

  DigestCtx digest;
  EVP_DigestInit_ex(digest.ctx, EVP_sha256(), nullptr);
  std::vector<unsigned char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(source.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("cannot read library " + path + ": " + errno_text());
    if (n == 0) break;
    EVP_DigestUpdate(digest.ctx, buf.data(), static_cast<std::size_t>(n));
    if (!write_all(image.fd, buf.data(), static_cast<std::size_t>(n)))
      throw std::runtime_error("cannot copy library " + path + " into memory: " + errno_text());
    size_ += static_cast<std::size_t>(n);
  }
  if (::fcntl(image.fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
    throw std::runtime_error("cannot seal the memory copy of " + path + ": " + errno_text());

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(digest.ctx, md, &len);
  static const char* digits = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    sha256_.push_back(digits[md[i] >> 4]);
    sha256_.push_back(digits[md[i] & 15]);
  }
  fd_ = image.fd;
  image.fd = -1;
}

LibraryImage::~LibraryImage() {
  if (fd_ >= 0) ::close(fd_);
  for (int fd : stale_) ::close(fd);
}

std::string LibraryImage::load_path() {
  // The loader recognises objects it has loaded by their path, and a library it could not unload
  // (one that ran a thread_local destructor, or is marked NODELETE) keeps its old
  // /proc/self/fd/N name after that descriptor was closed. dlopen of a new copy that happens to
  // get the same number would hand back the old code. So move to a number no loaded object is
  // known by; the numbers passed over stay open until this image goes, so none comes back.
  for (int attempt = 0; attempt < 256; ++attempt) {
    std::string path = "/proc/self/fd/" + std::to_string(fd_);
    void* stale = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (!stale) return path;
    ::dlclose(stale);
    int next = ::fcntl(fd_, F_DUPFD_CLOEXEC, fd_ + 1);
    if (next < 0) throw std::runtime_error("cannot give the memory copy a fresh descriptor: " + errno_text());
    stale_.push_back(fd_);
    fd_ = next;
  }
  throw std::runtime_error("every descriptor tried names a library loaded before");
}

}  // namespace toolgate
