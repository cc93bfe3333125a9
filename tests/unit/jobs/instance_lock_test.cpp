// InstanceLock: a live process's lock is seen as alive, a dead one's as gone (and cleaned up).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "jobs/instance_lock.hpp"
#include "test_dir.hpp"

using namespace toolgate;
using toolgate::testing::StateDir;

TEST(InstanceLock, SelfIsAliveAndUnknownOwnersAreNot) {
  StateDir dir;
  InstanceLock lock(dir.path());
  EXPECT_EQ(lock.id().size(), 16u);
  EXPECT_TRUE(lock.is_alive(lock.id()));
  EXPECT_FALSE(lock.is_alive("0123456789abcdef"));
  EXPECT_FALSE(lock.is_alive("../../etc/passwd"));
}

TEST(InstanceLock, AnotherLiveProcessIsAliveUntilItDies) {
  StateDir dir;
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t child = ::fork();
  if (child == 0) {
    InstanceLock theirs(dir.path());
    (void)!::write(ready[1], theirs.id().data(), theirs.id().size());
    char c;
    (void)!::read(release[0], &c, 1);
    ::_exit(0);  // no destructor: like a crash, the kernel drops the flock
  }
  char id[16];
  ASSERT_EQ(::read(ready[0], id, sizeof id), 16);
  InstanceLock mine(dir.path());
  std::string owner(id, 16);
  EXPECT_TRUE(mine.is_alive(owner));
  (void)!::write(release[1], "x", 1);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/owners/" + owner + ".lock"));
  mine.sweep();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/owners/" + owner + ".lock"));
  EXPECT_FALSE(mine.is_alive(owner));
}
