"""The words a routing table (``processes/routing.toml``) may use.

The services report events (a court message arrived, a case was registered, …); each event
offers facts (the case's number, the judgment's outcome, the day a unit received it, …),
conditions (the outcome counts as lost, …) and units (the center, the case's agency, each
losing unit, …). The table chooses among them which processes start, for which unit, with
which data; the services compute them (``app.services.execution.routes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# type of a start-data field -> its Chinese name
FIELD_TYPES = {
    "text": "文本",
    "date": "日期（YYYY-MM-DD）",
    "boolean": "是/否",
    "number": "数字",
    "event": "起算事件",
    "unit_codes": "单位代码列表",
    "events_by_unit": "各单位的起算事件（单位代码 → 事件）",
}


@dataclass(frozen=True)
class Fact:
    type: str  # a FIELD_TYPES key
    label: str


@dataclass(frozen=True)
class Each:
    """Routes with ``each``: one instance per item, with the item's own facts and units."""

    label: str
    facts: Mapping[str, Fact]
    units: Mapping[str, str]  # unit reference -> what it is
    optional_units: frozenset[str] = frozenset()  # may be absent: a lane only, never ``unit``


@dataclass(frozen=True)
class Trigger:
    label: str
    facts: Mapping[str, Fact]
    conditions: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    each: Mapping[str, Each] = field(default_factory=dict)
    by_hand: bool = False  # a person starts it, one process at a time: one route per process
    exactly_one: bool = False  # the service needs exactly one unconditional route


# units every event can name; discipline inspection may not exist in a district
DISTRICT_UNITS = {
    "center": "区调处中心",
    "bureau": "区司法局",
    "government": "区政府",
    "discipline": "纪检监察机关（没有时不设该泳道）",
}
OPTIONAL_UNITS = frozenset({"discipline"})
CASE_UNITS = {"case_agency": "本案的案涉行政机关"}

CASE_FACTS = {
    "case.case_no": Fact("text", "案号（行政复议为决定书文号）"),
    "case.plaintiff": Fact("text", "原告（行政复议为申请人）"),
    "case.agency_name": Fact("text", "本案的案涉行政机关名称"),
    "case.subject": Fact("text", "争议事项"),
    "case.claims": Fact("text", "诉讼请求"),
    "case.court": Fact("text", "管辖法院（行政复议为复议机关）"),
    "case.kind": Fact("text", "案件类型（litigation 诉讼，reconsideration 行政复议）"),
    "case.received_on": Fact("date", "收到法院移送材料或信息通报的日期"),
}
LOSER_FACTS = {
    "losers.agency_codes": Fact("unit_codes", "败诉（被纠错）的行政机关的单位代码"),
    "losers.received_by_unit": Fact(
        "events_by_unit", "败诉（被纠错）的各行政机关收到裁判文书或复议决定书之日"
    ),
    "losers.government_lost": Fact("boolean", "区政府在败诉单位之中"),
    "losers.names": Fact("text", "败诉单位名称（以“、”分隔）"),
}
LOSING_UNIT = Each(
    "每个败诉单位（行政机关或区政府）",
    facts={
        "losing_unit.agency_name": Fact("text", "该败诉行政机关的名称（区政府败诉时为空）"),
        "losing_unit.is_government": Fact("boolean", "该败诉单位是区政府"),
    },
    units={
        "losing_unit": "该败诉单位",
        "losing_agency": "该败诉单位，仅当它是行政机关（区政府败诉时不设该泳道）",
    },
    optional_units=frozenset({"losing_agency"}),
)
NOT_DELIVERED = {"not_delivered": "本案没有正在等待该消息的流程"}

TRIGGERS: dict[str, Trigger] = {
    "case_registered": Trigger(
        "调处中心登记法院移送的诉前案件",
        CASE_FACTS,
        units=CASE_UNITS,
        exactly_one=True,
    ),
    "case_page": Trigger(
        "在案件页面手动发起",
        CASE_FACTS,
        units=CASE_UNITS,
        by_hand=True,
    ),
    "pre_filing_notice": Trigger(
        "法院消息：预立案信息通报",
        {
            **CASE_FACTS,
            "event.notice_received": Fact("event", "区调处中心收到预立案信息通报"),
            "event.notice_received_on": Fact("date", "区调处中心收到预立案信息通报的日期"),
        },
        conditions=NOT_DELIVERED,
        units=CASE_UNITS,
    ),
    "loss_warning_letter": Trigger(
        "法院消息：败诉预警函",
        {
            **CASE_FACTS,
            "message.letter_no": Fact("text", "预警函文号（letter_no）"),
            "message.reason": Fact("text", "预警理由（reason）"),
            "event.warning_served": Fact("event", "收到《败诉预警函》"),
        },
        conditions=NOT_DELIVERED,
        units=CASE_UNITS,
    ),
    "judgment": Trigger(
        "法院消息：裁判结果",
        {
            **CASE_FACTS,
            "message.outcome": Fact("text", "裁判结果（outcome）"),
            "message.effective_on": Fact("date", "裁判生效日期（effective_on）"),
            "message.performance_deadline": Fact("date", "履行期限届满日（performance_deadline）"),
            "message.orders_new_act": Fact("boolean", "判决责令重作或补救（orders_new_act）"),
            "event.performance_due": Fact("event", "判决履行期限届满"),
            **LOSER_FACTS,
        },
        conditions={
            "lost": "裁判结果计为败诉（设置 lost_outcomes）",
            "not_filed_or_dismissed": "裁判结果为驳回起诉或不予立案",
            "earlier_resolution_failed": "本案此前经过前期化解（resolution = true 的流程）",
            "has_losers": "有败诉单位",
        },
        units=CASE_UNITS,
        each={"losing_unit": LOSING_UNIT},
    ),
    "case_closed_without_judgment": Trigger(
        "法院消息：未经裁判结案",
        {**CASE_FACTS, "message.outcome": Fact("text", "结案方式（outcome）")},
        units=CASE_UNITS,
    ),
    "reconsideration_decision": Trigger(
        "司法局登记行政复议决定",
        {**CASE_FACTS, "message.outcome": Fact("text", "复议决定（维持、撤销……）"), **LOSER_FACTS},
        conditions={"corrected": "复议决定纠正了原行政行为（撤销、变更、确认违法、责令履行）"},
        units=CASE_UNITS,
    ),
    "loss_rate_evaluation": Trigger(
        "败诉率评估：单位败诉率高于约谈阈值",
        {
            "evaluation.unit_name": Fact("text", "被评估单位名称"),
            "evaluation.unit_code": Fact("text", "被评估单位代码"),
            "evaluation.period": Fact("text", "评估期间（如 2026年第3季度）"),
            "evaluation.lost_cases": Fact("number", "败诉案件数"),
            "evaluation.concluded_cases": Fact("number", "审结案件数"),
            "evaluation.loss_rate": Fact("text", "败诉率（百分数）"),
            "evaluation.threshold": Fact("text", "约谈阈值（百分数）"),
        },
        units={"evaluated_unit": "被评估单位"},
    ),
}
