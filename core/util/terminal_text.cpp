#include "util/terminal_text.hpp"

namespace toolgate {

std::size_t unsafe_character_at(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
  unsigned c = byte(i);
  if (c < 0x20 || c == 0x7f) return 1;
  if (c == 0xc2 && byte(i + 1) >= 0x80 && byte(i + 1) <= 0x9f) return 2;  // C1
  if (c == 0xd8 && byte(i + 1) == 0x9c) return 2;                          // U+061C
  if (c == 0xe2 && byte(i + 1) == 0x80) {
    unsigned d = byte(i + 2);
    if (d == 0x8e || d == 0x8f || (d >= 0xaa && d <= 0xae)) return 3;  // U+200E-F, U+202A-E
  }
  if (c == 0xe2 && byte(i + 1) == 0x81 && byte(i + 2) >= 0xa6 && byte(i + 2) <= 0xa9) return 3;  // U+2066-9
  return 0;
}

}  // namespace toolgate
