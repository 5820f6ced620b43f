// ImageMemory: raw images mapped read-only at a base, lookups by address, guest/host spaces, the
// errors a user can cause, and the golden translator's memory-error fault outside the images.
#include "arch/image_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/pte.h"
#include "tests/tb/table_builder.h"

namespace mmuvp::arch {
namespace {

using test::TempDir;

// The qword at byte offset 8*i of a pattern image: distinct everywhere and never zero.
constexpr std::uint64_t pattern(std::uint64_t i, std::uint64_t seed) {
  return 0x9e3779b97f4a7c15ull * (i + 1) ^ seed;
}

std::string write_pattern(const TempDir& dir, const std::string& name, std::size_t bytes,
                          std::uint64_t seed) {
  std::vector<std::uint8_t> data(bytes);
  for (std::size_t i = 0; i < bytes; ++i) {
    const std::uint64_t q = pattern(i / 8, seed);
    data[i] = static_cast<std::uint8_t>(q >> (8 * (i % 8)));
  }
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  return path;
}

std::string error_of(ImageMemory& mem, const std::string& path, std::uint64_t base,
                     ImageSpace space = ImageSpace::kHost) {
  try {
    mem.add(path, base, space);
  } catch (const ImageError& e) {
    return e.what();
  }
  return "";
}

TEST(ImageMemory, ReadsTheFileAtItsBase) {
  TempDir dir;
  const std::string path = write_pattern(dir, "a.bin", 3 * 4096, 1);
  ImageMemory mem;
  const ImageMemory::Image& img = mem.add(path, 0x10000);
  EXPECT_EQ(img.base, 0x10000u);
  EXPECT_EQ(img.size, 3u * 4096);
  EXPECT_EQ(img.end(), 0x13000u);

  std::uint64_t v = 0;
  ASSERT_TRUE(mem.read64(0x10000, v));
  EXPECT_EQ(v, pattern(0, 1));
  ASSERT_TRUE(mem.read64(0x10000 + 8 * 700, v));
  EXPECT_EQ(v, pattern(700, 1));
  ASSERT_TRUE(mem.read64(0x13000 - 8, v));  // last qword
  EXPECT_EQ(v, pattern(3 * 512 - 1, 1));
  ASSERT_TRUE(mem.read64(0x10004, v));  // unaligned inside
  EXPECT_EQ(v, (pattern(0, 1) >> 32) | (pattern(1, 1) << 32));
}

TEST(ImageMemory, ReadsOutsideEveryImageFail) {
  TempDir dir;
  ImageMemory mem;
  mem.add(write_pattern(dir, "a.bin", 4096, 1), 0x10000);
  std::uint64_t v = 0;
  EXPECT_FALSE(mem.read64(0, v));
  EXPECT_FALSE(mem.read64(0x10000 - 8, v));
  EXPECT_FALSE(mem.read64(0x11000, v));
  EXPECT_FALSE(mem.read64(0x11000 - 4, v));  // half inside, half beyond the end
  EXPECT_FALSE(mem.read64(~0ull - 3, v));
  EXPECT_TRUE(mem.contains(ImageSpace::kHost, 0x10000, 4096));
  EXPECT_FALSE(mem.contains(ImageSpace::kHost, 0x10000, 4097));
  EXPECT_FALSE(mem.contains(ImageSpace::kGuest, 0x10000));
}

TEST(ImageMemory, DefaultBaseIsZero) {
  TempDir dir;
  ImageMemory mem;
  mem.add(write_pattern(dir, "a.bin", 4096, 7));
  std::uint64_t v = 0;
  ASSERT_TRUE(mem.read64(8, v));
  EXPECT_EQ(v, pattern(1, 7));
}

TEST(ImageMemory, ReadsSpanAdjacentImagesAndTheyStaySorted) {
  TempDir dir;
  ImageMemory mem;
  mem.add(write_pattern(dir, "hi.bin", 4096, 2), 0x2000);
  mem.add(write_pattern(dir, "lo.bin", 4096, 1), 0x1000);
  ASSERT_EQ(mem.images(ImageSpace::kHost).size(), 2u);
  EXPECT_EQ(mem.images(ImageSpace::kHost)[0].base, 0x1000u);
  EXPECT_EQ(mem.images(ImageSpace::kHost)[1].base, 0x2000u);
  std::uint64_t v = 0;
  ASSERT_TRUE(mem.read64(0x2000 - 4, v));  // 4 bytes of each image
  EXPECT_EQ(v, (pattern(511, 1) >> 32) | (pattern(0, 2) << 32));
  EXPECT_TRUE(mem.contains(ImageSpace::kHost, 0x1000, 0x2000));
  ASSERT_TRUE(mem.read64(0x2008, v));
  EXPECT_EQ(v, pattern(1, 2));
}

TEST(ImageMemory, OverlapInOneSpaceIsAnError) {
  TempDir dir;
  ImageMemory mem;
  const std::string a = write_pattern(dir, "a.bin", 2 * 4096, 1);
  const std::string b = write_pattern(dir, "b.bin", 2 * 4096, 2);
  mem.add(a, 0x4000);
  EXPECT_NE(error_of(mem, b, 0x5000).find("overlaps image '" + a + "'"), std::string::npos);
  EXPECT_NE(error_of(mem, b, 0x3000).find("overlaps"), std::string::npos);
  EXPECT_NE(error_of(mem, b, 0x4000).find("overlaps"), std::string::npos);
  EXPECT_EQ(error_of(mem, b, 0x2000), "");                      // adjacent below
  EXPECT_EQ(error_of(mem, b, 0x6000, ImageSpace::kHost), "");   // adjacent above
  EXPECT_EQ(error_of(mem, b, 0x4000, ImageSpace::kGuest), "");  // other space
  EXPECT_EQ(mem.images(ImageSpace::kHost).size(), 3u);
  EXPECT_EQ(mem.images(ImageSpace::kGuest).size(), 1u);
}

TEST(ImageMemory, BadFilesAreOneLineErrors) {
  TempDir dir;
  ImageMemory mem;
  const std::string empty = dir.file("empty.bin");
  std::ofstream(empty).close();
  const std::string tiny = write_pattern(dir, "tiny.bin", 7, 1);
  const std::string good = write_pattern(dir, "good.bin", 4096, 1);

  EXPECT_EQ(error_of(mem, dir.file("missing.bin"), 0),
            "image '" + dir.file("missing.bin") + "': No such file or directory");
  EXPECT_EQ(error_of(mem, empty, 0), "image '" + empty + "': file is empty");
  EXPECT_EQ(error_of(mem, tiny, 0),
            "image '" + tiny + "': 7 bytes is smaller than one 8-byte entry");
  EXPECT_EQ(error_of(mem, good, 0x1800), "image '" + good + "': base 0x1800 is not 4 KiB aligned");
  EXPECT_EQ(error_of(mem, dir.file(""), 0), "image '" + dir.file("") + "': not a regular file");
  EXPECT_NE(error_of(mem, good, ~0ull << 12).find("overflows 64 bits"), std::string::npos);
  for (const std::string& e : {error_of(mem, empty, 0), error_of(mem, good, 0x1800)}) {
    EXPECT_EQ(e.find('\n'), std::string::npos);
  }
  EXPECT_TRUE(mem.empty(ImageSpace::kHost));
}

TEST(ImageMemory, IsReadOnly) {
  TempDir dir;
  const std::string path = write_pattern(dir, "a.bin", 4096, 3);
  ImageMemory mem;
  mem.add(path);
  EXPECT_FALSE(mem.write64(0, 0x1234));
  std::uint64_t v = 0;
  ASSERT_TRUE(mem.read64(0, v));
  EXPECT_EQ(v, pattern(0, 3));
}

TEST(ImageMemory, GuestImagesServeGuestTableReads) {
  TempDir dir;
  ImageMemory mem;
  mem.add(write_pattern(dir, "host.bin", 4096, 1), 0x8000, ImageSpace::kHost);
  mem.add(write_pattern(dir, "guest.bin", 4096, 2), 0x1000, ImageSpace::kGuest);
  std::uint64_t v = 0;
  // gPA covered by the guest image: read there, whatever the hPA.
  ASSERT_TRUE(mem.read_guest_table64(0x1010, 0x8000, v));
  EXPECT_EQ(v, pattern(2, 2));
  ASSERT_TRUE(mem.read_guest_table64(0x1010, 0xdead000, v));
  EXPECT_EQ(v, pattern(2, 2));
  // Not covered: the host image at the hPA.
  ASSERT_TRUE(mem.read_guest_table64(0x5000, 0x8018, v));
  EXPECT_EQ(v, pattern(3, 1));
  EXPECT_FALSE(mem.read_guest_table64(0x5000, 0x9000, v));
  // read64 never looks at guest images.
  EXPECT_FALSE(mem.read64(0x1010, v));
}

TEST(ImageMemory, MapsAMultiGigabyteSparseFileWithoutReadingIt) {
  TempDir dir;
  const std::string path = dir.file("big.bin");
  constexpr std::uint64_t kSize = 5ull << 30;            // 5 GiB, almost all holes
  constexpr std::uint64_t kOffset = 0x12345678ull << 4;  // beyond 4 GiB
  {
    const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(kSize)), 0);
    const std::uint64_t value = 0x0123456789abcdefull;
    ASSERT_EQ(::pwrite(fd, &value, sizeof value, static_cast<off_t>(kOffset)), 8);
    ::close(fd);
  }
  ImageMemory mem;
  mem.add(path, 1ull << 40);
  std::uint64_t v = 1;
  ASSERT_TRUE(mem.read64((1ull << 40) + kOffset, v));
  EXPECT_EQ(v, 0x0123456789abcdefull);
  ASSERT_TRUE(mem.read64((1ull << 40) + kSize - 8, v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(mem.read64((1ull << 40) + kSize, v));
}

// The golden translator reports a walk that leaves the images as a memory error, not a crash.
TEST(ImageMemory, GoldenWalkOutsideTheImagesIsAMemoryError) {
  SparseMemory sparse;
  test::TableBuilder pt(sparse, test::TableBuilder::Kind::kGuest, 0x1000);
  const std::uint64_t pml4e = pt.root() + 8 * table_index(0x7000'0000'0000ull, 4);
  pt.write(pml4e, 0x40'0000 | pte::kP | pte::kRW | pte::kUS);  // a PDPT beyond the image
  TempDir dir;
  const std::string path = dir.file("pt.bin");
  test::save_image(sparse, 0, 0x2000, path);
  ImageMemory mem;
  mem.add(path);

  TranslationContext ctx;
  ctx.cr3 = pt.root();
  ctx.ad_updates = false;
  GoldenTranslator golden(mem);
  const TranslationResult r =
      golden.translate(ctx, Access{0x7000'0000'0123ull, AccessType::kRead, true});
  EXPECT_EQ(r.fault.kind, FaultKind::kMemoryError);
  EXPECT_EQ(r.fault.stage, FaultStage::kGuestTable);
  EXPECT_EQ(r.fault.level, 3);
  EXPECT_EQ(r.fault.gpa, 0x40'0000u + 8 * table_index(0x7000'0000'0123ull, 3));
  ASSERT_EQ(r.refs.size(), 2u);
}

}  // namespace
}  // namespace mmuvp::arch
