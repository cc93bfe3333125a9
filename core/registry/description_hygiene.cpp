#include "registry/description_hygiene.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <set>

namespace toolgate {

namespace {

// A phrase is a sequence of word slots: "a|b" alternatives, "?" suffix makes a slot optional.
struct Phrase {
  const char* pattern;
  const char* why;
};

const Phrase kPhrases[] = {
    {"ignore|disregard|forget|override|bypass all|any|the|your|of? the|all|your? "
     "previous|prior|above|earlier|preceding|former|original|system|other|existing "
     "instructions|instruction|prompts|prompt|messages|rules|directions|guidelines|context",
     "tries to override the model's other instructions"},
    {"ignore|disregard all|any|your instructions|rules|guidelines", "tries to override the model's other instructions"},
    {"not|dont|never tell|inform|mention|reveal|show|alert|notify|disclose|explain this|that|it|anything|any? to? "
     "the|your? user|users|human|operator",
     "tells the model to hide something from the user"},
    {"not|dont|never mention|reveal|disclose that|this|it you|to", "tells the model to hide something from the user"},
    {"without telling|informing|asking|notifying|alerting|warning the|your? user|users|human",
     "tells the model to act behind the user's back"},
    {"before using|calling|invoking|running|executing this|any|the|other|another tool|tools|function|functions",
     "sets conditions on using tools, a tool-poisoning pattern"},
    {"you are now", "tries to redefine the model's role"},
    {"system prompt|message|instructions", "refers to the model's system prompt"},
    {"new|updated|real|actual|secret|hidden instructions", "announces instructions for the model"},
    {"user|users must|should|will|can|may not|never know|see|notice|learn|find",
     "tells the model to keep something from the user"},
    {"user|users cannot|cant|mustnt|shouldnt|wont know|see|notice|learn", "tells the model to keep something from the user"},
};

struct Marker {
  const char* text;
  const char* why;
};

const Marker kMarkers[] = {
    {"<!--", "contains an HTML comment: hidden when rendered, still read by the model"},
    {"[//]: #", "contains a Markdown comment: hidden when rendered, still read by the model"},
    {"display:none", "contains CSS that hides text"},
    {"display: none", "contains CSS that hides text"},
    {"visibility:hidden", "contains CSS that hides text"},
    {"visibility: hidden", "contains CSS that hides text"},
    {"font-size:0", "contains CSS that hides text"},
    {"<|im_start|>", "contains a chat-template role marker"},
    {"<|system|>", "contains a chat-template role marker"},
    {"<<sys>>", "contains a chat-template role marker"},
    {"[inst]", "contains a chat-template role marker"},
    {"\nsystem:", "contains a chat-template role marker"},
    {"\nassistant:", "contains a chat-template role marker"},
    {"~/.ssh", "mentions a sensitive file"},
    {".ssh/", "mentions a sensitive file"},
    {"id_rsa", "mentions a sensitive file"},
    {"id_ed25519", "mentions a sensitive file"},
    {"mcp.json", "mentions a sensitive file"},
    {".aws/credentials", "mentions a sensitive file"},
    {"/etc/passwd", "mentions a sensitive file"},
    {"/etc/shadow", "mentions a sensitive file"},
    {".netrc", "mentions a sensitive file"},
    {".git-credentials", "mentions a sensitive file"},
};

const char* const kSuspectTags[] = {"important", "system",   "instructions", "instruction", "secret", "hidden",
                                    "hide",      "admin",    "assistant",    "user",        "prompt", "critical",
                                    "sudo",      "override", "directive"};

// Decodes one code point; invalid bytes come back as U+FFFD, consuming one byte.
std::uint32_t next_cp(std::string_view s, std::size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  std::uint32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

const char* invisible_name(std::uint32_t cp) {
  switch (cp) {
    case 0x00AD: return "SOFT HYPHEN (invisible)";
    case 0x200B: return "ZERO WIDTH SPACE (invisible)";
    case 0x200C: return "ZERO WIDTH NON-JOINER (invisible)";
    case 0x200D: return "ZERO WIDTH JOINER (invisible)";
    case 0x200E: return "LEFT-TO-RIGHT MARK (bidirectional control)";
    case 0x200F: return "RIGHT-TO-LEFT MARK (bidirectional control)";
    case 0x202A: return "LEFT-TO-RIGHT EMBEDDING (bidirectional control)";
    case 0x202B: return "RIGHT-TO-LEFT EMBEDDING (bidirectional control)";
    case 0x202C: return "POP DIRECTIONAL FORMATTING (bidirectional control)";
    case 0x202D: return "LEFT-TO-RIGHT OVERRIDE (bidirectional control)";
    case 0x202E: return "RIGHT-TO-LEFT OVERRIDE (bidirectional control)";
    case 0x2060: return "WORD JOINER (invisible)";
    case 0x2061: return "FUNCTION APPLICATION (invisible)";
    case 0x2062: return "INVISIBLE TIMES (invisible)";
    case 0x2063: return "INVISIBLE SEPARATOR (invisible)";
    case 0x2064: return "INVISIBLE PLUS (invisible)";
    case 0x2066: return "LEFT-TO-RIGHT ISOLATE (bidirectional control)";
    case 0x2067: return "RIGHT-TO-LEFT ISOLATE (bidirectional control)";
    case 0x2068: return "FIRST STRONG ISOLATE (bidirectional control)";
    case 0x2069: return "POP DIRECTIONAL ISOLATE (bidirectional control)";
    case 0xFEFF: return "ZERO WIDTH NO-BREAK SPACE (invisible)";
    default: break;
  }
  if (cp == 0x1B) return "ESCAPE (control character; terminal escape sequences can hide or rewrite text)";
  if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F)) return "(control character)";
  return nullptr;
}

std::string hex_cp(std::uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

bool is_tag_char(std::uint32_t cp) { return cp >= 0xE0000 && cp <= 0xE007F; }

// Tries slots[k..] at tokens[pos..]; the end of a full match, or npos.
std::size_t match_slots(const std::vector<std::vector<std::string>>& slots, const std::vector<bool>& optional,
                        const std::vector<std::string>& tokens, std::size_t pos, std::size_t k) {
  if (k == slots.size()) return pos;
  if (optional[k])
    if (std::size_t end = match_slots(slots, optional, tokens, pos, k + 1); end != std::string::npos) return end;
  if (pos >= tokens.size()) return std::string::npos;
  for (const auto& w : slots[k])
    if (tokens[pos] == w) return match_slots(slots, optional, tokens, pos + 1, k + 1);
  return std::string::npos;
}

struct CompiledPhrase {
  std::vector<std::vector<std::string>> slots;
  std::vector<bool> optional;
  const char* why;
};

const std::vector<CompiledPhrase>& compiled_phrases() {
  static const std::vector<CompiledPhrase> all = [] {
    std::vector<CompiledPhrase> out;
    for (const auto& p : kPhrases) {
      CompiledPhrase c;
      c.why = p.why;
      std::string_view pat(p.pattern);
      while (!pat.empty()) {
        std::size_t sp = pat.find(' ');
        std::string_view slot = pat.substr(0, sp);
        pat = sp == std::string_view::npos ? std::string_view() : pat.substr(sp + 1);
        bool opt = !slot.empty() && slot.back() == '?';
        if (opt) slot.remove_suffix(1);
        std::vector<std::string> words;
        while (!slot.empty()) {
          std::size_t bar = slot.find('|');
          words.emplace_back(slot.substr(0, bar));
          slot = bar == std::string_view::npos ? std::string_view() : slot.substr(bar + 1);
        }
        c.slots.push_back(std::move(words));
        c.optional.push_back(opt);
      }
      out.push_back(std::move(c));
    }
    return out;
  }();
  return all;
}

void check_tags(const std::string& lower, const std::string& original, std::vector<std::string>& out) {
  std::set<std::string> seen;
  for (std::size_t i = lower.find('<'); i != std::string::npos; i = lower.find('<', i + 1)) {
    std::size_t j = i + 1;
    if (j < lower.size() && lower[j] == '/') ++j;
    std::size_t name_begin = j;
    while (j < lower.size() && (std::isalpha(static_cast<unsigned char>(lower[j])) || lower[j] == '_' || lower[j] == '-')) ++j;
    if (j == name_begin) continue;
    std::size_t close = lower.find('>', j);
    if (close == std::string::npos || close - i > 200 || lower.find('<', i + 1) < close) continue;
    std::string name = lower.substr(name_begin, j - name_begin);
    std::string orig = original.substr(name_begin, j - name_begin);
    bool upper = orig.size() >= 3;
    for (char c : orig) upper = upper && !std::islower(static_cast<unsigned char>(c));
    bool suspect = upper;
    for (const char* t : kSuspectTags) suspect = suspect || name == t;
    if (suspect && seen.insert(orig).second)
      out.push_back("contains the tag <" + orig + ">: tag-wrapped text is a common way to smuggle instructions to the model");
  }
}

}  // namespace

std::vector<std::string> description_problems(std::string_view text, const HygieneOptions& options) {
  std::vector<std::string> out;
  // One pass: invisible characters, the lower-cased visible text, and words for phrase matching.
  std::string lower, tag_text, word;
  std::vector<std::string> tokens;
  std::set<std::uint32_t> reported;
  std::size_t chars = 0, tag_count = 0, newline_run = 0, space_run = 0, longest_newlines = 0, longest_spaces = 0;
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = next_cp(text, i);
    ++chars;
    if (const char* name = invisible_name(cp); name && reported.insert(cp).second) {
      out.push_back("contains " + hex_cp(cp) + " " + name + " at character " + std::to_string(chars) +
                    ": text people cannot see can still instruct the model");
    }
    if (is_tag_char(cp)) {
      ++tag_count;
      if (cp >= 0xE0020 && cp <= 0xE007E && tag_text.size() < 80) tag_text.push_back(static_cast<char>(cp - 0xE0000));
      continue;
    }
    bool invisible = invisible_name(cp) && cp != '\n' && cp != '\t' && cp != '\r';
    newline_run = cp == '\n' ? newline_run + 1 : (cp == '\r' ? newline_run : 0);
    space_run = (cp == ' ' || cp == '\t') ? space_run + 1 : 0;
    longest_newlines = std::max(longest_newlines, newline_run);
    longest_spaces = std::max(longest_spaces, space_run);
    if (invisible) continue;  // "ig\u200Bnore" still reads "ignore"
    char c = cp < 0x80 ? static_cast<char>(std::tolower(static_cast<int>(cp))) : '\x01';
    if (cp < 0x80) lower.push_back(c);
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(c);
    } else if (cp == '\'' || cp == 0x2019) {
      // "don't" -> "dont"
    } else if (!word.empty()) {
      tokens.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) tokens.push_back(std::move(word));
  if (tag_count)
    out.push_back("contains " + std::to_string(tag_count) +
                  " Unicode tag characters (U+E0000..U+E007F, invisible)" +
                  (tag_text.empty() ? std::string() : " spelling \"" + tag_text + "\"") +
                  ": text people cannot see can still instruct the model");
  if (options.check_length && chars > kMaxDescriptionChars)
    out.push_back("is " + std::to_string(chars) + " characters long (limit " + std::to_string(kMaxDescriptionChars) +
                  "): long descriptions hide instructions and crowd the model's context");
  if (longest_newlines >= 8 || longest_spaces >= 64)
    out.push_back("contains a run of " + std::to_string(std::max(longest_newlines, longest_spaces)) +
                  (longest_newlines >= 8 ? " line breaks" : " spaces") + ", which can push text out of a reviewer's view");
  if (!options.check_content) return out;

  std::set<std::string> reasons;
  for (const auto& m : kMarkers)
    if (lower.find(m.text) != std::string::npos || (m.text[0] == '\n' && lower.rfind(m.text + 1, 0) == 0))
      if (reasons.insert(m.why).second) {
        std::string shown = m.text[0] == '\n' ? std::string(m.text + 1) : std::string(m.text);
        out.push_back(std::string(m.why) + " ('" + shown + "')");
      }
  std::string original;
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = next_cp(text, i);
    if (cp < 0x80 && !(invisible_name(cp) && cp != '\n' && cp != '\t' && cp != '\r')) original.push_back(static_cast<char>(cp));
  }
  check_tags(lower, original, out);
  for (const auto& p : compiled_phrases()) {
    for (std::size_t pos = 0; pos < tokens.size(); ++pos) {
      std::size_t end = match_slots(p.slots, p.optional, tokens, pos, 0);
      if (end == std::string::npos) continue;
      // Quote the matched words so the author finds them.
      std::string quoted;
      for (std::size_t k = pos; k < end; ++k) quoted += (quoted.empty() ? "" : " ") + tokens[k];
      if (reasons.insert(p.why).second) out.push_back("reads like an instruction to the model (\"" + quoted + "\"): " + p.why);
      break;
    }
  }
  return out;
}

}  // namespace toolgate
