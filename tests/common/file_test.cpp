#include "vipd/common/file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

namespace vipd::file {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vipd-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FileTest, WritesAtomicallyAndReadsBack) {
  const auto path = dir_ + "/sub/state.json";  // the directory is created
  ASSERT_TRUE(write_atomically(path, "one\n", 0640));
  ASSERT_TRUE(write_atomically(path, "two\n", 0640));
  auto text = read_all(path);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "two\n");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_ + "/sub"), {}), 1);
}

TEST_F(FileTest, MissingFileIsEnoent) {
  auto text = read_all(dir_ + "/absent");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error(), ENOENT);
}

TEST_F(FileTest, ErrorsNameThePathAndLeaveNoTemporary) {
  std::filesystem::create_directory(dir_ + "/taken");  // a directory where the file should go
  auto r = write_atomically(dir_ + "/taken", "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("cannot rename to " + dir_ + "/taken"), std::string::npos) << r.error();
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

}  // namespace
}  // namespace vipd::file
