// Pinned tool definitions: the defence against a "rug pull", where a plugin keeps its name and
// version but changes what its tools tell the model (description, schemas, annotations, scope).
// The first time a plugin name+version loads, a digest of every tool's definition (canonical
// JSON of name, title, description, inputSchema, outputSchema, annotations and scope, one digest
// per field) is recorded in a pins file. Later loads of the same name+version must match; a new
// version is pinned afresh, and every version seen stays pinned, so an old version number
// cannot come back with new definitions either.
//
// Pins file (JSON, written atomically, merged under an flock on "<file>.lock" so several toolgate
// processes starting at once do not lose each other's pins; the first pin of a version wins):
//   {"pinsVersion": 1, "plugins": {"<name>": {"<version>": {"pinnedAt": "...",
//     "tools": {"<tool>": {"digest": "<sha256>", "fields": {"description": "<sha256>", ...}}}}}}}
//
// A ToolPins lives for one registry reload on one thread; it is not shared.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "registry/manifest.hpp"

namespace toolgate {

struct PinPolicy {
  std::string file;             // empty: definitions are not pinned
  bool refuse_changes = true;   // plugins.onDefinitionChange: "refuse" (true) or "warn"
  bool record = true;           // false (toolgate check): compare with existing pins, write nothing
};

// One tool whose definition differs from its pin: `what` is "description, inputSchema changed",
// "was added" or "was removed"; `fields` names the changed fields (empty for added/removed).
struct ToolDefinitionChange {
  std::string tool;
  std::string what;
  std::vector<std::string> fields;
  // "tool 'x': description changed" / "tool 'x' was added".
  std::string text() const;
};

// The pinned fields of one tool, each as a JSON value (absent fields are null).
boost::json::object tool_definition(const ToolManifest& tool);

class ToolPins {
 public:
  explicit ToolPins(PinPolicy policy) : policy_(std::move(policy)) {}

  const PinPolicy& policy() const { return policy_; }
  // Reads the pins file; a missing file means nothing is pinned yet. False, with `error` naming
  // the file, when it exists but cannot be read or is not a pins file.
  bool load(std::string& error);
  // What differs from the pins of m's name+version, one item per tool ("tool 'x': description,
  // inputSchema changed", "tool 'y' was added", "tool 'z' was removed"); empty when m's version is
  // not pinned yet or matches.
  std::vector<std::string> changes(const PluginManifest& m) const;
  // The same, one structured item per tool, for audit records.
  std::vector<ToolDefinitionChange> tool_changes(const PluginManifest& m) const;
  // Pins m's definitions unless its name+version is already pinned.
  void pin(const PluginManifest& m);
  // Writes pins made by pin() (no-op without any, or when record is false).
  bool save(std::string& error);

 private:
  PinPolicy policy_;
  boost::json::object plugins_;  // as in the file's "plugins"
  boost::json::object added_;    // pinned during this run, same shape
};

}  // namespace toolgate
