// JSON-RPC over stdio: the bytes go through LineReader (from a memfd, with a small line cap so the
// oversized-line path is reached) and every line through parse_json_line, classify and the
// response builders, batches included.
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "fuzz_targets.hpp"
#include "protocol/jsonrpc.hpp"
#include "transport/line_reader.hpp"

namespace toolgate::fuzz {

namespace {
void handle_line(std::string_view line) {
  boost::json::value v;
  std::string error;
  if (!parse_json_line(line, v, error)) return;
  auto one = [](const boost::json::value& item) {
    Message m = classify(item);
    (void)id_key(m.id);
    if (m.kind == Message::Kind::Request) (void)make_error(m.id, rpc::kMethodNotFound, m.method);
    if (m.kind == Message::Kind::Invalid) (void)make_error(m.id, rpc::kInvalidRequest, m.invalid_reason);
  };
  if (v.is_array())
    for (const auto& item : v.get_array()) one(item);
  else
    one(v);
}
}  // namespace

int jsonrpc(const std::uint8_t* data, std::size_t size) {
  int fd = ::memfd_create("toolgate-fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t off = 0;
  while (off < size) {
    ssize_t n = ::write(fd, data + off, size - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  LineReader reader(fd, 1024);
  std::string line;
  for (;;) {
    auto ev = reader.next(line);
    if (ev == LineReader::Event::Line) handle_line(line);
    else if (ev != LineReader::Event::Oversized) break;
  }
  ::close(fd);
  return 0;
}

}  // namespace toolgate::fuzz
