#include "store/segment_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "store/block.h"

namespace custodian::store {
namespace {

// Wraps the default Env and fails appends or syncs on demand.
class FaultEnv : public Env {
 public:
  bool fail_append = false, fail_sync = false;
  class File : public WritableFile {
   public:
    File(FaultEnv* env, std::unique_ptr<WritableFile> f) : env_(env), f_(std::move(f)) {}
    Status Append(std::string_view d) override {
      return env_->fail_append ? Status::IOError("injected append failure") : f_->Append(d);
    }
    Status Sync() override { return env_->fail_sync ? Status::IOError("injected sync failure") : f_->Sync(); }
    Status Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }
   private:
    FaultEnv* env_;
    std::unique_ptr<WritableFile> f_;
  };
  Env* base = Env::Default();
  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& p, int mode) override {
    CUSTODIAN_ASSIGN_OR_RETURN(auto f, base->OpenAppendable(p, mode));
    return std::unique_ptr<WritableFile>(new File(this, std::move(f)));
  }
  Result<std::unique_ptr<RandomAccessFile>> OpenRead(const std::string& p) override { return base->OpenRead(p); }
  Status Truncate(const std::string& p, uint64_t s) override { return base->Truncate(p, s); }
  Status SyncDir(const std::string& d) override { return base->SyncDir(d); }
  Status Rename(const std::string& a, const std::string& b) override { return base->Rename(a, b); }
  Status RemoveFile(const std::string& p) override { return base->RemoveFile(p); }
  Status CreateDir(const std::string& p, int m) override { return base->CreateDir(p, m); }
  bool Exists(const std::string& p) override { return base->Exists(p); }
  Result<uint64_t> FileSize(const std::string& p) override { return base->FileSize(p); }
  Result<std::vector<std::string>> ListDir(const std::string& d) override { return base->ListDir(d); }
};

class SegmentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/custodian-seg-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string Record(uint64_t id, const std::string& msg) {
    return EncodeBlock(id, {{ComputeSha256(msg), msg}}, key_);
  }
  std::string dir_;
  Key key_ = Keys::FromMaster(Key{5}).BlockKey(KeySeed{});
};

TEST_F(SegmentStoreTest, AppendSyncReadAndReopen) {
  Env* env = Env::Default();
  SegmentState committed;
  BlockLocation loc1;
  {
    auto s = LocalSegmentStore::Open(env, dir_, {}, false);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto l = (*s)->Append(Record(1, "first"));
    ASSERT_TRUE(l.ok());
    loc1 = *l;
    EXPECT_EQ(loc1.segment, 1u);
    EXPECT_EQ(loc1.offset, kSegmentHeaderSize);
    auto states = (*s)->Sync();
    ASSERT_TRUE(states.ok());
    ASSERT_EQ(states->size(), 1u);
    committed = states->back();
    // An appended but never committed record: reopening must drop it.
    ASSERT_TRUE((*s)->Append(Record(2, "uncommitted")).ok());
    ASSERT_TRUE((*s)->Sync().ok());
  }
  auto s = LocalSegmentStore::Open(env, dir_, committed, false);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*(*s)->SegmentSize(1), committed.committed_length);
  auto rec = (*s)->Read(loc1);
  ASSERT_TRUE(rec.ok());
  auto b = DecodeBlock(*rec, key_);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->message(0), "first");
}

TEST_F(SegmentStoreTest, RollsOverAndDropsUncommittedSegments) {
  Env* env = Env::Default();
  SegmentState committed;
  {
    auto s = LocalSegmentStore::Open(env, dir_, {}, false, /*segment_limit=*/300);
    ASSERT_TRUE(s.ok());
    for (int i = 0; i < 5; i++) ASSERT_TRUE((*s)->Append(Record(i, std::string(200, char('a' + i)) + "!")).ok());
    auto states = (*s)->Sync();
    ASSERT_TRUE(states.ok());
    EXPECT_GE(states->size(), 3u);  // several segments were written, all but the last sealed
    for (size_t i = 0; i + 1 < states->size(); i++) EXPECT_TRUE((*states)[i].sealed);
    committed = (*states)[1];  // pretend the catalog only committed up to segment 2
  }
  auto s = LocalSegmentStore::Open(env, dir_, committed, false, 300);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(env->Exists((*s)->SegmentPath(committed.segment + 2)));
}

TEST_F(SegmentStoreTest, ShortSegmentIsCorruption) {
  Env* env = Env::Default();
  SegmentState committed;
  {
    auto s = LocalSegmentStore::Open(env, dir_, {}, false);
    ASSERT_TRUE((*s)->Append(Record(1, "x")).ok());
    committed = (*s)->Sync()->back();
  }
  ASSERT_TRUE(env->Truncate(JoinPath(dir_, "00000001.seg"), committed.committed_length - 3).ok());
  auto s = LocalSegmentStore::Open(env, dir_, committed, false);
  EXPECT_EQ(s.status().code(), Status::Code::kCorruption);
}

TEST_F(SegmentStoreTest, InjectedFaultsSurface) {
  FaultEnv env;
  auto s = LocalSegmentStore::Open(&env, dir_, {}, false);
  ASSERT_TRUE(s.ok());
  env.fail_append = true;
  EXPECT_EQ((*s)->Append(Record(1, "x")).status().code(), Status::Code::kIOError);
  env.fail_append = false;
  ASSERT_TRUE((*s)->Append(Record(1, "x")).ok());
  env.fail_sync = true;
  EXPECT_EQ((*s)->Sync().status().code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace custodian::store
