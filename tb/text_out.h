// A buffered writer for listings of millions of lines: appends text and fixed- or minimal-width hex
// into one reusable buffer and hands it to stdio in large blocks, so a line costs a few dozen byte
// stores and no allocation or format-string parsing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

namespace mmuvp::tb {

class TextOut {
 public:
  explicit TextOut(std::FILE* file, std::size_t block = 1u << 16) : file_(file), block_(block) {
    buf_.reserve(block_ + kSlack);
  }
  ~TextOut() { flush(); }
  TextOut(const TextOut&) = delete;
  TextOut& operator=(const TextOut&) = delete;

  TextOut& put(std::string_view s) {
    buf_.insert(buf_.end(), s.begin(), s.end());
    return maybe_flush();
  }
  TextOut& put(char c) {
    buf_.push_back(c);
    return maybe_flush();
  }
  // `digits` lowercase hex digits, zero-padded (16 for a full 64-bit value); no prefix.
  TextOut& hex_fixed(std::uint64_t v, unsigned digits = 16) {
    char tmp[16];
    for (unsigned i = 0; i < digits; ++i) tmp[digits - 1 - i] = kHex[(v >> (4 * i)) & 0xf];
    buf_.insert(buf_.end(), tmp, tmp + digits);
    return maybe_flush();
  }
  // Lowercase hex without leading zeros ("0" for zero); no prefix.
  TextOut& hex(std::uint64_t v) {
    unsigned digits = 1;
    while (digits < 16 && (v >> (4 * digits)) != 0) ++digits;
    return hex_fixed(v, digits);
  }
  TextOut& dec(std::uint64_t v) {
    char tmp[20];
    unsigned n = 0;
    do {
      tmp[19 - n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    buf_.insert(buf_.end(), tmp + 20 - n, tmp + 20);
    return maybe_flush();
  }

  // Writes everything buffered; false once any write to the file has failed.
  bool flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
      failed_ = true;
    }
    buf_.clear();
    return !failed_;
  }
  bool failed() const { return failed_; }

 private:
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::size_t kSlack = 256;  // one line never grows the buffer past its reserve

  TextOut& maybe_flush() {
    if (buf_.size() >= block_) flush();
    return *this;
  }

  std::FILE* file_;
  std::size_t block_;
  std::vector<char> buf_;
  bool failed_ = false;
};

}  // namespace mmuvp::tb
