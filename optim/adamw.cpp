#include "optim/adamw.hpp"

namespace tg::optim {

AdamW::AdamW(NamedParameters params, AdamWOptions options)
    : AdamW(std::vector<ParamGroup<AdamWOptions>>{{std::move(params)}}, options) {}
AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups, AdamWOptions defaults)
    : AdamFamily("AdamW", std::move(groups), std::move(defaults)) {}

}  // namespace tg::optim
