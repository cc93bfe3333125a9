// SPF and DMARC parsing (see mail_records.hpp).
#include "mail_records.hpp"

#include <algorithm>
#include <cctype>

namespace toolgate::audit {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

bool is_spf(const std::string& txt) {
  std::string l = lower(trim(txt));
  return l == "v=spf1" || starts_with(l, "v=spf1 ");
}

SpfRecord parse_spf(const std::string& txt) {
  SpfRecord r;
  r.text = trim(txt);
  std::vector<std::string> terms;
  for (const auto& t : split(r.text, ' '))
    if (!t.empty()) terms.push_back(t);
  for (std::size_t i = 1; i < terms.size(); ++i) {  // terms[0] is v=spf1
    const std::string& term = terms[i];
    std::string l = lower(term);
    if (starts_with(l, "redirect=")) {
      r.redirect = term.substr(9);
      ++r.lookup_terms;
      continue;
    }
    // A modifier is name=value with the '=' before any ':' or '/' (exp= and unknown ones are
    // allowed and ignored, RFC 7208 section 6).
    if (std::size_t eq = l.find('='); eq != std::string::npos && eq < l.find_first_of(":/")) continue;
    char qualifier = '+';
    std::string mech = l;
    if (!mech.empty() && (mech[0] == '+' || mech[0] == '-' || mech[0] == '~' || mech[0] == '?')) {
      qualifier = mech[0];
      mech.erase(0, 1);
    }
    std::string name = mech.substr(0, mech.find_first_of(":/"));
    if (name == "all") {
      if (mech != "all") {
        r.problems.push_back("'" + term + "': all takes no argument");
        continue;
      }
      r.all_qualifier = qualifier;
    } else if (name == "include" || name == "a" || name == "mx" || name == "ptr" || name == "exists") {
      ++r.lookup_terms;
      if (name == "ptr") r.uses_ptr = true;
    } else if (name != "ip4" && name != "ip6") {
      r.problems.push_back("'" + term + "' is not an SPF mechanism");
      continue;
    }
    r.mechanisms.push_back(term);
  }
  return r;
}

bool is_dmarc(const std::string& txt) {
  std::string t = trim(txt);
  // The version tag must come first and be exactly DMARC1 (RFC 7489 section 6.4).
  std::string first = lower(trim(split(t, ';')[0]));
  first.erase(std::remove(first.begin(), first.end(), ' '), first.end());
  return first == "v=dmarc1";
}

DmarcRecord parse_dmarc(const std::string& txt) {
  DmarcRecord r;
  r.text = trim(txt);
  bool saw_policy = false;
  std::vector<std::string> tags = split(r.text, ';');
  for (std::size_t i = 1; i < tags.size(); ++i) {
    std::string tag = trim(tags[i]);
    if (tag.empty()) continue;
    std::size_t eq = tag.find('=');
    if (eq == std::string::npos) {
      r.problems.push_back("'" + tag + "' is not a tag=value pair");
      continue;
    }
    std::string key = lower(trim(tag.substr(0, eq)));
    std::string value = trim(tag.substr(eq + 1));
    std::string lvalue = lower(value);
    auto uris = [&] {
      std::vector<std::string> out;
      for (const auto& u : split(value, ','))
        if (!trim(u).empty()) out.push_back(trim(u));
      return out;
    };
    if (key == "p" || key == "sp") {
      bool valid = lvalue == "none" || lvalue == "quarantine" || lvalue == "reject";
      if (!valid) r.problems.push_back(key + "=" + value + " is not none, quarantine or reject");
      if (key == "p") {
        saw_policy = true;
        r.policy = valid ? lvalue : "";
      } else if (valid) {
        r.subdomain_policy = lvalue;
      }
    } else if (key == "pct") {
      bool digits = !value.empty() && value.size() <= 3 &&
                    std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); });
      if (!digits || std::stoi(value) > 100)
        r.problems.push_back("pct=" + value + " is not a percentage from 0 to 100");
      else
        r.pct = std::stoi(value);
    } else if (key == "rua") {
      r.rua = uris();
    } else if (key == "ruf") {
      r.ruf = uris();
    } else if (key == "adkim" || key == "aspf") {
      if (lvalue != "r" && lvalue != "s")
        r.problems.push_back(key + "=" + value + " is not r or s");
      else
        (key == "adkim" ? r.adkim : r.aspf) = lvalue;
    }
    // fo, rf, ri and unknown tags are allowed and ignored, as receivers do.
  }
  if (!saw_policy) r.problems.insert(r.problems.begin(), "the required p= tag is missing");
  return r;
}

}  // namespace toolgate::audit
