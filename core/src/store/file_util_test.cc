#include "neuropart/store/file_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store_test_util.h"

namespace neuropart {
namespace {

using ::neuropart::testing::ScratchDir;
using ::neuropart::testing::WriteRaw;

bool Contains(const Status& s, const std::string& part) {
  return s.message().find(part) != std::string::npos;
}

TEST(WriteFileAtomicTest, CreatesFileWithExactContent) {
  ScratchDir dir;
  const std::string bytes = std::string("abc\0def", 7);
  ASSERT_TRUE(WriteFileAtomic(dir.File("f"), bytes).ok());
  StatusOr<std::string> read = ReadFile(dir.File("f"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, bytes);
}

TEST(WriteFileAtomicTest, ReplacesOldContentAndLeavesNoTempFiles) {
  ScratchDir dir;
  WriteRaw(dir.File("LATEST"), std::string(1000, 'o'));  // longer than the new content
  ASSERT_TRUE(WriteFileAtomic(dir.File("LATEST"), "new").ok());
  EXPECT_EQ(*ReadFile(dir.File("LATEST")), "new");
  EXPECT_EQ(dir.List(), std::vector<std::string>{"LATEST"});
}

TEST(WriteFileAtomicTest, ReplacesByRenameSoOpenReadersKeepTheOldContent) {
  // An in-place overwrite would change what an already open descriptor reads; a rename does not.
  ScratchDir dir;
  WriteRaw(dir.File("f"), "old content");
  const int fd = ::open(dir.File("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(WriteFileAtomic(dir.File("f"), "new").ok());
  char buf[32];
  const ssize_t n = ::pread(fd, buf, sizeof(buf), 0);
  ::close(fd);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "old content");
  EXPECT_EQ(*ReadFile(dir.File("f")), "new");
}

TEST(WriteFileAtomicTest, WritesPiecesInOrder) {
  ScratchDir dir;
  const std::vector<std::string_view> pieces = {"head", "", "er|", "data"};
  ASSERT_TRUE(WriteFileAtomic(dir.File("f"), pieces).ok());
  EXPECT_EQ(*ReadFile(dir.File("f")), "header|data");
}

TEST(AtomicFileWriterTest, TheFileAppearsWholeOnlyAtCommit) {
  ScratchDir dir;
  WriteRaw(dir.File("model"), "old");
  StatusOr<AtomicFileWriter> w = AtomicFileWriter::Create(dir.File("model"));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE(w->Append("ab").ok());
  ASSERT_TRUE(w->Append("cde").ok());
  EXPECT_EQ(*ReadFile(dir.File("model")), "old");
  EXPECT_EQ(w->bytes_written(), 5u);
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_EQ(*ReadFile(dir.File("model")), "abcde");
  EXPECT_EQ(dir.List(), std::vector<std::string>{"model"});
  EXPECT_FALSE(w->Append("f").ok());
  EXPECT_FALSE(w->Commit().ok());
}

TEST(AtomicFileWriterTest, AWriterDroppedBeforeCommitLeavesNothing) {
  ScratchDir dir;
  {
    StatusOr<AtomicFileWriter> w = AtomicFileWriter::Create(dir.File("model"));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->Append("partial").ok());
    AtomicFileWriter moved = std::move(w).value();  // the moved-from one must not unlink twice
  }
  EXPECT_TRUE(dir.List().empty());
}

TEST(WriteFileAtomicTest, ManyWritesLeaveOnlyTheTarget) {
  ScratchDir dir;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(WriteFileAtomic(dir.File("f"), std::to_string(i)).ok());
  }
  EXPECT_EQ(*ReadFile(dir.File("f")), "19");
  EXPECT_EQ(dir.List(), std::vector<std::string>{"f"});
}

TEST(WriteFileAtomicTest, MissingDirectoryFailsNamingThePath) {
  ScratchDir dir;
  const Status s = WriteFileAtomic(dir.File("nope/f"), "x");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, dir.File("nope/"))) << s.ToString();
  EXPECT_TRUE(Contains(s, "No such file or directory")) << s.ToString();
  EXPECT_TRUE(dir.List().empty());
}

TEST(WriteFileAtomicTest, FailedRenameRemovesTheTempFile) {
  ScratchDir dir;
  ASSERT_TRUE(MakeDirs(dir.File("target/sub")).ok());  // rename onto a non-empty dir fails
  const Status s = WriteFileAtomic(dir.File("target"), "x");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "rename")) << s.ToString();
  EXPECT_EQ(dir.List(), std::vector<std::string>{"target"});
}

TEST(RemoveTempFilesTest, RemovesWhatACrashLeftAtAnyDepthAndNothingElse) {
  ScratchDir dir;
  ASSERT_TRUE(MakeDirs(dir.File("checkpoints/8")).ok());
  for (const char* name : {"LATEST", ".LATEST.tmp.1234.0", "checkpoints/8/part-0.safetensors",
                           "checkpoints/8/.part-1.safetensors.tmp.99.3", "notes.tmp.1",
                           ".LEASE.claim.host.7.5", ".hidden"}) {
    WriteRaw(dir.File(name), "x");
  }
  StatusOr<int> removed = RemoveTempFiles(dir.path());
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(dir.List(),
            (std::vector<std::string>{".LEASE.claim.host.7.5", ".hidden", "LATEST", "checkpoints",
                                      "notes.tmp.1"}));
  EXPECT_TRUE(std::filesystem::exists(dir.File("checkpoints/8/part-0.safetensors")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("checkpoints/8/.part-1.safetensors.tmp.99.3")));
}

TEST(ReadFileTest, MissingFileIsNotFoundNamingThePath) {
  ScratchDir dir;
  StatusOr<std::string> r = ReadFile(dir.File("absent"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(r.status(), dir.File("absent")));
}

TEST(ReadFileTest, EmptyFileReadsAsEmpty) {
  ScratchDir dir;
  WriteRaw(dir.File("e"), "");
  StatusOr<std::string> r = ReadFile(dir.File("e"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(MakeDirsTest, CreatesNestedDirectoriesAndIsIdempotent) {
  ScratchDir dir;
  const std::string deep = dir.File("jobs/j1/checkpoints/100");
  ASSERT_TRUE(MakeDirs(deep).ok());
  ASSERT_TRUE(MakeDirs(deep).ok());
  ASSERT_TRUE(MakeDirs(deep + "/").ok());
  struct stat st;
  ASSERT_EQ(::stat(deep.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(MakeDirsTest, FailsWhenAComponentIsAFile) {
  ScratchDir dir;
  WriteRaw(dir.File("file"), "x");
  EXPECT_FALSE(MakeDirs(dir.File("file")).ok());
  const Status s = MakeDirs(dir.File("file/sub"));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, dir.File("file/sub"))) << s.ToString();
}

TEST(RandomAccessFileTest, ReadsRangesAndReportsShortFiles) {
  ScratchDir dir;
  WriteRaw(dir.File("f"), "0123456789");
  StatusOr<std::unique_ptr<RandomAccessFile>> f = OpenRandomAccessFile(dir.File("f"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->size(), 10u);
  char buf[4];
  ASSERT_TRUE((*f)->ReadAt(3, 4, buf).ok());
  EXPECT_EQ(std::string(buf, 4), "3456");
  const Status s = (*f)->ReadAt(8, 4, buf);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(s, "unexpected end of file at byte 10")) << s.ToString();
}

TEST(RandomAccessFileTest, DirectoryIsNotAFile) {
  ScratchDir dir;
  EXPECT_FALSE(OpenRandomAccessFile(dir.path()).ok());
}

// Runs CheckWritableDirectory(path) in a child process as uid/gid 65532 (the images' user) when
// the test runs as root, who may write anywhere; returns the child's status message ("" if OK).
std::string CheckAsUnprivileged(const std::string& path) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0 && (::setgid(65532) != 0 || ::setuid(65532) != 0)) ::_exit(3);
    const Status s = CheckWritableDirectory(path);
    const std::string m = s.ok() ? "" : s.message();
    (void)!::write(fds[1], m.data(), m.size());
    ::_exit(s.ok() ? 0 : s.code() == StatusCode::kInvalidArgument ? 2 : 1);
  }
  ::close(fds[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) message.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "child died";
  if (WEXITSTATUS(status) == 0) return "";
  if (WEXITSTATUS(status) != 2) return "wrong code " + std::to_string(WEXITSTATUS(status)) + ": " + message;
  return message;
}

TEST(CheckWritableDirectoryTest, CreatesMissingDirectoriesAndLeavesNoProbe) {
  ScratchDir dir;
  ASSERT_TRUE(CheckWritableDirectory(dir.File("jobs/a")).ok());
  struct stat st;
  ASSERT_EQ(::stat(dir.File("jobs/a").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(std::filesystem::is_empty(dir.File("jobs/a")));
}

// Workers in pods all run as pid 1 and check the same job directory on the shared store at the
// same moment: their probes must not be one file that one worker unlinks under another.
TEST(CheckWritableDirectoryTest, ConcurrentChecksOfOneDirectoryAllSucceed) {
  ScratchDir dir;
  const std::string job = dir.File("jobs/a");
  ASSERT_TRUE(CheckWritableDirectory(job).ok());
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex mu;
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        if (Status s = CheckWritableDirectory(job); !s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (failures++ == 0) first_failure = s.ToString();
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  EXPECT_TRUE(std::filesystem::is_empty(job));
}

TEST(CheckWritableDirectoryTest, NamesPathUidOwnerAndModeWhenTheParentIsNotWritable) {
  ScratchDir dir;
  ASSERT_EQ(::mkdir(dir.File("store").c_str(), 0755), 0);  // root-owned 0755, as a kubelet makes it
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  const std::string message = CheckAsUnprivileged(dir.File("store/jobs/a"));
  ASSERT_FALSE(message.empty()) << "an unprivileged user could write a 0755 directory it does not own";
  const std::string uid = std::to_string(::geteuid() == 0 ? 65532 : ::geteuid());
  EXPECT_NE(message.find(dir.File("store/jobs/a")), std::string::npos) << message;
  EXPECT_NE(message.find("uid " + uid), std::string::npos) << message;
  EXPECT_NE(message.find(dir.File("store") + " is owned by uid"), std::string::npos) << message;
  EXPECT_NE(message.find("mode 0755"), std::string::npos) << message;
}

TEST(CheckWritableDirectoryTest, RefusesAnExistingDirectoryThatCannotTakeAFile) {
  ScratchDir dir;
  ASSERT_EQ(::mkdir(dir.File("ro").c_str(), 0555), 0);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  const std::string message = CheckAsUnprivileged(dir.File("ro"));
  ASSERT_FALSE(message.empty());
  EXPECT_NE(message.find("mode 0555"), std::string::npos) << message;
}

TEST(CheckWritableDirectoryTest, RefusesAPathThatIsAFile) {
  ScratchDir dir;
  WriteRaw(dir.File("f"), "x");
  const Status s = CheckWritableDirectory(dir.File("f"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

}  // namespace
}  // namespace neuropart
