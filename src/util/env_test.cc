#include "util/env.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace custodian {

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/custodian-env-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(EnvTest, AppendReadTruncate) {
  Env* env = Env::Default();
  std::string path = JoinPath(dir_, "f");
  {
    auto f = env->OpenAppendable(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("hello ").ok());
    ASSERT_TRUE((*f)->Append("world").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    EXPECT_EQ((*f)->Size(), 11u);
  }
  auto data = env->ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "hello world");
  ASSERT_TRUE(env->Truncate(path, 5).ok());
  EXPECT_EQ(*env->ReadFile(path), "hello");
  // Reopening appends after the existing bytes.
  auto f = env->OpenAppendable(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->Size(), 5u);
}

TEST_F(EnvTest, AtomicWriteReplaces) {
  Env* env = Env::Default();
  std::string path = JoinPath(dir_, "key");
  ASSERT_TRUE(env->WriteFileAtomic(path, "one", 0600).ok());
  ASSERT_TRUE(env->WriteFileAtomic(path, "two", 0600).ok());
  EXPECT_EQ(*env->ReadFile(path), "two");
  EXPECT_FALSE(env->Exists(path + ".tmp"));
  EXPECT_EQ(env->ReadFile(JoinPath(dir_, "missing")).status().code(), Status::Code::kNotFound);
}

}  // namespace custodian
