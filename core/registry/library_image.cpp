#include "registry/library_image.hpp"

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
  Fd source{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (source.fd < 0) throw std::runtime_error("cannot open library " + path + ": " + errno_text());
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
}

std::string LibraryImage::load_path() const { return "/proc/self/fd/" + std::to_string(fd_); }

}  // namespace toolgate
