#include "tlm/translation_checker.h"
// (being written by the lead)
namespace mmuvp::tlm {
CheckOutcome TranslationChecker::fail(std::string report) {
  ++mismatches_;
  if (first_mismatch_.empty()) first_mismatch_ = report;
  return CheckOutcome{false, std::move(report)};
}
CheckOutcome TranslationChecker::check_walk(const WalkRequest&, const WalkResponse&) {
  return fail("not implemented");
}
CheckOutcome TranslationChecker::check_hit(const arch::TranslationContext&, const arch::Access&,
                                           const TlbEntry&) {
  return fail("not implemented");
}
}  // namespace mmuvp::tlm
