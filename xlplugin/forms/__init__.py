"""The four form kinds. Each module declares its layout once (used to write and to read) and writes it."""
from . import evaluator_form, leader_form, rater_form, unit_form

# kind → module; the order is the order forms are generated and listed in
KINDS = {
    "unit": unit_form,
    "evaluator": evaluator_form,
    "rater": rater_form,
    "leader": leader_form,
}
SPECS = {kind: module.SPEC for kind, module in KINDS.items()}
