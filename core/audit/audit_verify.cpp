#include "audit/audit_verify.hpp"

#include "audit/audit_entry.hpp"
#include "audit/audit_files.hpp"
#include "audit/chain.hpp"
#include "util/digest.hpp"

#include <boost/json.hpp>

#include <unordered_map>

namespace toolgate {

namespace json = boost::json;

namespace {

struct Record {
  std::string where;  // "audit.1.jsonl:7"
  std::string hash;
  std::string prev;
};

struct Junk {
  std::string where;
  std::size_t bytes;
  std::string sha256;
};

class Verifier {
 public:
  Verifier(VerifyReport& report, const std::optional<std::string>& key) : report_(report), hasher_(key) {}

  void read_file(const AuditFileRef& file, const std::string& text, bool newest) {
    ++report_.files;
    std::size_t line_no = 0, pos = 0;
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      bool terminated = nl != std::string::npos;
      std::string_view line(text.data() + pos, (terminated ? nl : text.size()) - pos);
      pos = terminated ? nl + 1 : text.size();
      std::string where = file.name + ":" + std::to_string(++line_no);
      if (!terminated && newest) {
        // A torn write is a prefix of an entry, so it never has a whole entry's shape. A line
        // that does is checked like any entry: a crash just before the newline leaves a valid one.
        if (is_entry_line(line)) {
          if (!take_entry(line, where, true))
            report_.problems.push_back(where + ": a whole entry's shape without a newline or a chain link (an "
                                               "interrupted write cannot leave that: appended by something else)");
        } else {
          report_.notes.push_back(where + ": torn last line (" + std::to_string(line.size()) +
                                  " bytes, no newline) from an interrupted write; ignored");
        }
        continue;
      }
      take_entry(line, where, false);
    }
  }

  void finish() {
    // Complete lines after the last entry: an interrupted write leaves no newline (that case is
    // the torn last line above), so these were added by something other than the writer.
    for (const auto& j : junk_)
      report_.problems.push_back(j.where + ": not an audit entry (a complete line after the last entry: appended "
                                           "or damaged; an interrupted write leaves no newline)");
    check_links();
    // First, so that a long list (one line per entry) cannot push the explanation out of sight.
    if (hash_mismatches_ > 1 && hash_mismatches_ == records_.size())
      report_.problems.insert(report_.problems.begin(),
                              "no entry's hash matches its contents: wrong HMAC key, or the log was " +
                                  std::string(hasher_.keyed() ? "written without one" : "written with one"));
    report_.entries = records_.size();
    report_.ok = report_.problems.empty();
  }

 private:
  // False if the line is not an entry (then it is queued as junk unless `probe_only`).
  bool take_entry(std::string_view line, const std::string& where, bool probe_only) {
    auto split = split_entry_line(line);
    boost::system::error_code ec;
    json::value v;
    if (split) v = json::parse(line, ec);
    const json::object* obj = split && !ec ? v.if_object() : nullptr;
    const json::string* prev = obj && obj->contains("prev") ? obj->at("prev").if_string() : nullptr;
    if (!prev || !is_hex64(std::string_view(prev->data(), prev->size()))) {
      if (!probe_only) junk_.push_back({where, line.size(), sha256_hex(line)});
      return false;
    }
    Record r{where, split->hash, std::string(prev->data(), prev->size())};
    if (hasher_.link(r.prev, split->canonical) != r.hash) {
      ++hash_mismatches_;
      report_.problems.push_back(where + ": hash does not match the entry's contents (entry edited" +
                                 std::string(hasher_.keyed() ? ", or wrong HMAC key)" : ")"));
    }
    settle_junk(*obj, where);
    if (auto* code = obj->if_contains("errorCode"); code && code->is_string() && code->get_string() == "files_missing")
      report_.notes.push_back(where + ": the writer found the audit files missing (deleted or moved away while no "
                                      "toolgate ran) and went on from the chain end .audit.lock remembered");
    records_.push_back(std::move(r));
    return true;
  }

  // Lines that are not entries are acceptable only when the entry right after them is the
  // writer's audit_recovered record committing to exactly those bytes.
  void settle_junk(const json::object& entry, const std::string& where) {
    if (junk_.empty()) return;
    const json::array* torn = nullptr;
    if (auto* out = entry.if_contains("outcome"); out && out->is_string() && out->get_string() == "audit_recovered")
      if (auto* in = entry.if_contains("input"); in && in->is_object())
        if (auto* t = in->get_object().if_contains("tornLines"); t && t->is_array()) torn = &t->get_array();
    bool matches = torn && torn->size() == junk_.size();
    for (std::size_t i = 0; matches && i < junk_.size(); ++i) {
      const json::object* o = (*torn)[i].if_object();
      const json::value* sha = o ? o->if_contains("sha256") : nullptr;
      matches = sha && sha->is_string() && sha->get_string() == junk_[i].sha256;
    }
    for (const auto& j : junk_) {
      if (matches)
        report_.notes.push_back(j.where + ": torn line (" + std::to_string(j.bytes) +
                                " bytes) from an interrupted write, recorded by the recovery entry at " + where);
      else
        report_.problems.push_back(j.where + ": not an audit entry (line inserted or damaged)");
    }
    junk_.clear();
  }

  void check_links() {
    std::unordered_map<std::string, std::size_t> first_at;
    for (std::size_t i = 0; i < records_.size(); ++i) first_at.emplace(records_[i].hash, i);
    for (std::size_t k = 0; k < records_.size(); ++k) {
      const Record& r = records_[k];
      if (first_at.at(r.hash) != k) {
        report_.problems.push_back(r.where + ": duplicate of the entry at " + records_[first_at.at(r.hash)].where +
                                   " (entry inserted)");
        continue;
      }
      if (k == 0) {
        if (r.prev != kGenesisHash)
          report_.notes.push_back(r.where + ": the chain starts after entries that are not present "
                                            "(older files rotated away)");
        continue;
      }
      const Record& before = records_[k - 1];
      if (r.prev == before.hash) continue;
      auto it = first_at.find(r.prev);
      if (it != first_at.end() && it->second > k) {
        report_.problems.push_back(r.where + ": out of order: the entry it follows is at " +
                                   records_[it->second].where + ", later in the log (entries reordered)");
      } else if (it != first_at.end()) {
        report_.problems.push_back(r.where + ": out of order: it follows the entry at " + records_[it->second].where +
                                   ", but " + before.where +
                                   " comes between (an entry was inserted, or entries were reordered or deleted)");
      } else if (r.prev == kGenesisHash) {
        report_.problems.push_back(r.where + ": a new chain starts here (prev is all zeros): entry inserted, or the "
                                            "log was restarted from scratch");
      } else {
        report_.problems.push_back(r.where + ": chain broken: the entry it follows (prev " + r.prev.substr(0, 12) +
                                   "...) is not in the log, right after " + before.where +
                                   " (an entry was deleted before it, or this entry was inserted)");
      }
    }
  }

  VerifyReport& report_;
  ChainHasher hasher_;
  std::vector<Record> records_;
  std::vector<Junk> junk_;
  std::size_t hash_mismatches_ = 0;
};

}  // namespace

VerifyReport verify_audit_dir(const std::string& dir, const std::optional<std::string>& hmac_key) {
  VerifyReport report;
  std::string error;
  auto files = list_audit_files(dir, error);
  if (!files) {
    report.ok = false;
    report.unreadable = true;
    report.problems.push_back(error);
    return report;
  }
  // Nothing to verify is not a pass: a check pointed at the wrong directory, or run after every
  // file was deleted, must not report success.
  if (files->empty()) {
    report.ok = false;
    report.problems.push_back(dir + ": no audit files (audit.jsonl, audit.N.jsonl) to verify");
    return report;
  }
  Verifier v(report, hmac_key);
  for (std::size_t i = 0; i < files->size(); ++i) {
    auto text = read_whole_file((*files)[i].path, error);
    if (!text) {
      report.unreadable = true;
      report.problems.push_back(error);
      continue;
    }
    v.read_file((*files)[i], *text, i + 1 == files->size());
  }
  v.finish();
  return report;
}

}  // namespace toolgate
