// Notices when the policy file changes on disk, for reload. Watches the file's directory with
// inotify rather than the file itself, because editors and deployment tools usually write a new
// file and rename it over the old one, which a watch on the old inode would miss. Reports writes
// that finished (IN_CLOSE_WRITE) and renames onto the name (IN_MOVED_TO). When the file is
// reached through a symlink (a Kubernetes ConfigMap mount swaps a `..data` link to a new
// directory; a deployment repoints a `current` link), no event names the file: then the link
// target's directory is watched too, and any change in a watched directory counts. The reload
// itself skips files whose bytes did not change, so spurious events are harmless.
// The callback runs on the watcher's own thread, which lives as long as the process.
#pragma once

#include <functional>
#include <string>

namespace toolgate {

// Starts watching `file`; false with `error` when inotify cannot be set up.
bool watch_policy_file(const std::string& file, std::function<void()> on_change, std::string& error);

}  // namespace toolgate
