// The VMM's editor of one VM's EPT behind one interface: the 4-level EPT, or the flat EPT of mode
// flat-nested (2 levels of 2 MiB nodes, sw-stub/table_editor.h FlatEptTableFormat). The VM edits
// either the same way; only the leaf sizes differ (a flat EPT has 4K and 1G leaves, and a 1G leaf
// splits into 2^18 4K leaves).
#pragma once
#include <cstdint>
#include <memory>

#include "arch/address.h"
#include "sw-stub/table_editor.h"

namespace mmuvp::stub {

class EptEditor {
 public:
  virtual ~EptEditor() = default;
  virtual std::uint64_t root() const = 0;
  virtual bool has_leaf(arch::PageSize s) const = 0;
  virtual unsigned below(unsigned level) const = 0;  // the level a split leaf's children are at
  virtual std::uint64_t map(std::uint64_t in, std::uint64_t frame, arch::PageSize size,
                            std::uint64_t flags) = 0;
  virtual std::uint64_t unmap(std::uint64_t in, arch::PageSize size) = 0;
  virtual std::uint64_t rewrite(std::uint64_t in, arch::PageSize size, std::uint64_t frame,
                                std::uint64_t flags, bool keep_ad) = 0;
  virtual std::uint64_t split(std::uint64_t in, arch::PageSize size) = 0;

  // A 4-level EPT, or with `flat` a flat one, with its root allocated from `mem`.
  static std::unique_ptr<EptEditor> make(TableMemory& mem, bool preset_accessed, bool flat);
};

template <typename Format>
class EptEditorOf final : public EptEditor {
 public:
  EptEditorOf(TableMemory& mem, bool preset_accessed) : e_(mem, preset_accessed) {}
  std::uint64_t root() const override { return e_.root(); }
  bool has_leaf(arch::PageSize s) const override { return Format::has_leaf(s); }
  unsigned below(unsigned level) const override { return Format::below(level); }
  std::uint64_t map(std::uint64_t in, std::uint64_t frame, arch::PageSize size,
                    std::uint64_t flags) override {
    return e_.map(in, frame, size, flags);
  }
  std::uint64_t unmap(std::uint64_t in, arch::PageSize size) override { return e_.unmap(in, size); }
  std::uint64_t rewrite(std::uint64_t in, arch::PageSize size, std::uint64_t frame,
                        std::uint64_t flags, bool keep_ad) override {
    return e_.rewrite(in, size, frame, flags, keep_ad);
  }
  std::uint64_t split(std::uint64_t in, arch::PageSize size) override { return e_.split(in, size); }

 private:
  TableEditor<Format> e_;
};

inline std::unique_ptr<EptEditor> EptEditor::make(TableMemory& mem, bool preset_accessed,
                                                  bool flat) {
  if (flat) return std::make_unique<EptEditorOf<FlatEptTableFormat>>(mem, preset_accessed);
  return std::make_unique<EptEditorOf<EptTableFormat>>(mem, preset_accessed);
}

}  // namespace mmuvp::stub
