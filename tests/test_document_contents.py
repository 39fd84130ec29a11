"""What every official document says (issue 21 point 8).

Each kind declared in ``app/documents`` is produced the way a user comes by it (a registered
case, a court message, a started process, the loss-rate evaluation, then the tasks of the real
instance completed) and the .docx is read back with python-docx: who issues it, its number and
title, to whom it goes, the parties, the court and the case number, every date it prints (in
Chinese form) and every period it states, which must be the period the deadline's timer counted.
The expectations are written out by hand. A kind without an entry here fails the suite.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from docx import Document as Docx

from app import clock as product_clock
from app.documents import DOCUMENT_KINDS
from app.models import TaskRecord
from tests import document_paths as paths
from tests.document_paths import Env, Rendered

pytestmark = pytest.mark.both_databases

AGENCY = "洪泽区自然资源和规划局"
CENTER = "洪泽区行政争议调处中心"
BUREAU = "洪泽区司法局"
GOVERNMENT = "洪泽区人民政府"
COURT = "洪泽区人民法院"

PERIOD = re.compile(r"\d+(?:个工作日|日)内")
CHINESE_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


@dataclass(frozen=True)
class Expected:
    title: str
    issuer: str  # the unit in the masthead and (with the date) the signature
    doc_no: str
    issued_on: str
    lines: tuple[str, ...]  # whole paragraphs: addressee, parties, court, case number, dates
    phrases: tuple[str, ...] = ()  # inside longer paragraphs
    dates: frozenset[str] = frozenset()  # every date printed besides ``issued_on``
    case_no: str | None = None  # None: the document is about no court case
    periods: tuple[str, ...] = ()  # every period stated, as worded
    due_on: str = ""  # the day the period ends, where the document names it (请于…前)
    closing: tuple[str, ...] = ()  # the last lines, when not the signature (issuer, date)


def chinese(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def timer_period(task: TaskRecord) -> tuple[str, str]:
    """(the period, its due date) as the task's deadline timer computed them."""
    found = re.search(r" 起 (\d+) (个工作日|日（自然日）)", task.due_rule)
    assert found, task.due_rule
    words = found[1] + ("个工作日" if found[2] == "个工作日" else "日")
    return words, chinese(product_clock.to_local(task.due_at).date())


# -- mechanism 4: 法院诉前移送调处 --------------------------------------------------------------
MEDIATION_CASE_LINE = (
    "张某某诉洪泽区自然资源和规划局不服土地征收补偿决定一案"
    "（洪泽区人民法院案号：（2026）苏0813行诉前12号）"
)
ASSIGNMENT_NOTICE = Expected(
    title="行政争议调处交办通知书", issuer=CENTER, doc_no="洪调交〔2026〕7号",
    issued_on="2026年9月30日",
    lines=(
        "洪泽区自然资源和规划局：", "行政相对人（原告）：张某某",
        "案涉行政机关：洪泽区自然资源和规划局", "案由：不服土地征收补偿决定",
        "管辖法院：洪泽区人民法院", "法院案号：（2026）苏0813行诉前12号",
        "诉讼请求：撤销补偿决定，重新作出", "材料接收日期：2026年9月29日",
        "请于2026年10月10日前将责任领导、行政争议化解联络人名单及初步调处意向方案报送区调处中心。",
    ),
    phrases=(f"{MEDIATION_CASE_LINE}，本中心已于2026年9月29日收到相关材料。",
             "请你单位自收到本通知书之日起3个工作日内，确定负责化解工作的责任领导"),
    dates=frozenset({"2026年9月29日", "2026年10月10日"}),
    case_no="（2026）苏0813行诉前12号", periods=("自收到本通知书之日起3个工作日内",),
    due_on="2026年10月10日",
)  # fmt: skip
MEDIATION_AGREEMENT = Expected(
    title="行政争议调处协议", issuer=CENTER, doc_no="洪调协〔2026〕1号",
    issued_on="2026年10月14日",
    lines=(
        "甲方（行政相对人）：张某某", "乙方（案涉行政机关）：洪泽区自然资源和规划局",
        "委托代理人及参加人员：张某某本人；刘洋（乙方授权代表）",
        "调处机构：洪泽区行政争议调处中心", "调处时间：2026年10月14日9时30分",
        "调处地点：区行政争议调处中心第一调解室",
        "（一）乙方按新标准补足补偿款。", "（二）甲方撤回行政诉讼。",
        "甲方：张某某", "乙方：洪泽区自然资源和规划局",
    ),
    phrases=("甲方与乙方因不服土地征收补偿决定发生行政争议。甲方已向洪泽区人民法院提起行政诉讼"
             "（案号：（2026）苏0813行诉前12号），诉讼请求为：撤销补偿决定，重新作出。",
             "是否向洪泽区人民法院申请撤回行政诉讼，由甲方依法自愿决定。"),
    case_no="（2026）苏0813行诉前12号",
    closing=("调处中心：洪泽区行政争议调处中心", "签字（盖章）：", "日期：2026年10月14日"),
)  # fmt: skip
TERMINATION_NOTICE = Expected(
    title="行政争议终止调处通知书", issuer=CENTER, doc_no="洪调终〔2026〕1号",
    issued_on="2026年10月14日",
    lines=("张某某、洪泽区自然资源和规划局：",
           "因当事人拒绝继续调处，本中心决定终止本案调处工作。"
           "本案行政争议回归洪泽区人民法院，由洪泽区人民法院依法继续处理。"),
    phrases=(f"{MEDIATION_CASE_LINE}，本中心依照洪泽区《十项机制》有关规定开展了调处工作。"
             "本中心于2026年10月14日9时30分组织双方进行了调处。",),
    case_no="（2026）苏0813行诉前12号",
)  # fmt: skip
TERMINATION_LETTER = Expected(
    title="行政争议终止调处告知函", issuer=CENTER, doc_no="洪调函〔2026〕1号",
    issued_on="2026年10月14日",
    lines=("洪泽区人民法院：", "1.起诉状", "2.证据材料",
           "你院移送的张某某诉洪泽区自然资源和规划局不服土地征收补偿决定一案"
           "（案号：（2026）苏0813行诉前12号），本中心依照洪泽区《十项机制》有关规定开展了调处工作。"),
    phrases=("因当事人拒绝继续调处，本中心决定终止本案调处工作。",),
    case_no="（2026）苏0813行诉前12号",
)  # fmt: skip


# -- mechanism 1: 合法性审查; mechanism 2: 行政执法监督 ------------------------------------------
LEGALITY_OPINION = Expected(
    title="合法性审查意见书", issuer=AGENCY, doc_no="合审〔2026〕1号", issued_on="2026年10月10日",
    lines=(
        "洪泽区自然资源和规划局：", "事项类型：重大执法决定",
        "事项名称：对洪泽某农业合作社违法占地建设的限期拆除决定",
        "提交审查日期：2026年9月30日", "审查轮次：第一轮", "审核人：李律", "审核结论：不合法。",
        "该事项属于败诉重点领域，于2026年10月9日与区司法局进行了审查会商。",
        "参加会商人员：区司法局 陈某（行政执法监督科科长）；"
        "区自然资源和规划局 周某（法规科科长）、李律（法律顾问）",
        "经审查，该事项不合法，不得按现有方案作出决定、签订协议或者实施，请你单位依法另行研究处理。",
    ),
    phrases=("你单位提请合法性审查的重大执法决定事项“对洪泽某农业合作社违法占地建设的限期拆除决定”"
             "（第一轮审查）收悉。",),
    dates=frozenset({"2026年9月30日", "2026年10月9日"}),
)  # fmt: skip


SUPERVISION_OPENING = (
    "根据洪泽区《十项机制》有关规定，洪泽区司法局通过{}方式，对你单位的行政执法工作进行了监督，"
    "发现存在以下问题："
)
SUPERVISION_SUGGESTION = Expected(
    title="行政执法监督建议书", issuer=BUREAU, doc_no="洪司监建〔2026〕1号",
    issued_on="2026年10月9日",
    lines=("洪泽区自然资源和规划局：", SUPERVISION_OPENING.format("执法案卷评查"),
           "（一）规范听证告知书的制作和送达，载明送达时间。",
           "（三）组织执法人员开展案卷制作专题培训。"),
    phrases=("请于自收到本建议书之日起10个工作日内将整改情况书面报送区司法局。",),
    periods=("自收到本建议书之日起10个工作日内",),
)  # fmt: skip
SUPERVISION_DECISION = Expected(
    title="行政执法监督决定书", issuer=BUREAU, doc_no="洪司监决〔2026〕1号",
    issued_on="2026年10月9日",
    lines=("洪泽区自然资源和规划局：", SUPERVISION_OPENING.format("重大行政处罚备案"),
           "（一）责令你单位对该行政处罚决定进行法制审核，审核未通过的依法自行纠正。",
           "（二）责令你单位全面自查2026年以来作出的重大执法决定的法制审核情况。"),
    phrases=("并于自收到本决定书之日起15个工作日内将执行及整改情况书面报送区司法局。",),
    periods=("自收到本决定书之日起15个工作日内",),
)  # fmt: skip


# -- mechanisms 5 and 8: 立案前信息通报, 判后释法明理 --------------------------------------------
PRE_FILING_NOTICE_LETTER = Expected(
    title="行政诉讼立案前信息通报函", issuer=CENTER, doc_no="洪调通〔2026〕1号",
    issued_on="2026年9月30日",
    lines=(
        "洪泽区自然资源和规划局：", "行政相对人（原告）：刘某某",
        "被告（案涉行政机关）：洪泽区自然资源和规划局", "案由：土地行政处罚",
        "诉讼请求：请求撤销被告作出的《行政处罚决定书》（洪自然资罚〔2026〕35号）",
        "管辖法院：洪泽区人民法院", "法院案号：（2026）苏0813行诉前56号",
        "收到预立案信息通报日期：2026年9月29日",
    ),
    phrases=("本中心于2026年9月29日收到洪泽区人民法院预立案信息通报：刘某某以你单位为被告，"
             "就土地行政处罚向洪泽区人民法院提起行政诉讼",),
    dates=frozenset({"2026年9月29日"}), case_no="（2026）苏0813行诉前56号",
)  # fmt: skip


EXPLANATION_RECORD = Expected(
    title="判后释法明理记录", issuer=AGENCY, doc_no="洪调释〔2026〕1号", issued_on="2026年10月22日",
    lines=(
        "案件：孙某某诉洪泽区自然资源和规划局不动产登记一案（案号：（2026）苏0813行初88号）",
        "行政相对人：孙某某", "案涉行政机关：洪泽区自然资源和规划局",
        "裁判结果：驳回起诉（生效日期：2026年10月16日）",
        "释明人：陈某某（洪泽区自然资源和规划局，联系电话：0517-87221234）",
        "释明日期：2026年10月22日", "释明方式：当面释明", "释明结果：服判息诉",
        "2026年10月22日，陈某某以当面方式向行政相对人进行了释法明理。",
        "释明人引导行政相对人依法提起民事诉讼。", "经释法明理，行政相对人表示服判息诉。",
    ),
    phrases=("经洪泽区人民法院裁定驳回起诉。该案经前期化解未能解决。",),
    dates=frozenset({"2026年10月16日", "2026年10月22日"}), case_no="（2026）苏0813行初88号",
)  # fmt: skip


# -- mechanisms 6 and 3: 审中指导化解 into 自我纠正; mechanism 7: 审后督促履行 --------------------
IN_TRIAL_CASE_LINE = (
    "李某某诉洪泽区自然资源和规划局房屋征收补偿决定一案（案号：（2026）苏0813行初45号）"
)
SELF_CORRECTION_DECISION = Expected(
    title="行政行为自我纠正决定书", issuer=AGENCY, doc_no="洪自然资纠〔2026〕2号",
    issued_on="2026年10月12日",
    lines=(
        "李某某：", "原行政行为：对李某某作出的《房屋征收补偿决定书》。", "作出日期：2025年12月1日",
        "关联行政诉讼案号：（2026）苏0813行初45号",
        "补偿决定未将附属设施纳入评估范围，补偿标准明显偏低。",
        "行政相对人的合法权益因原行政行为受损，尚未依法予以补偿或者赔偿。",
        "经全面衡量，本机关决定改变原行政行为。", "（一）重新评估附属设施价值。",
    ),
    phrases=("洪泽区自然资源和规划局收到人民法院《败诉预警函》（洪法预〔2026〕3号）后，"
             "主动启动纠错程序，对下列行政行为进行了审查。",),
    dates=frozenset({"2025年12月1日"}), case_no="（2026）苏0813行初45号",
)  # fmt: skip
SPECIAL_REPORT = Expected(
    title="关于行政争议案件的专项汇报", issuer=AGENCY, doc_no="专报〔2026〕1号",
    issued_on="2026年10月26日",
    lines=(
        "区人民政府：", "行政相对人（原告）：李某某", "案涉行政机关：洪泽区自然资源和规划局",
        "案由：房屋征收补偿决定", "管辖法院：洪泽区人民法院", "法院案号：（2026）苏0813行初45号",
        "人民法院《败诉预警函》（洪法预〔2026〕3号）提示的败诉风险："
        "被诉补偿决定未将附属设施纳入评估范围，认定事实不清，存在败诉风险。",
        "我单位已启动自我纠错程序，对原行政行为（对李某某作出的《房屋征收补偿决定书》）"
        "作出“改变原行政行为”的纠正决定。",
        "请区政府协调区住建局、区房屋征收办公室，对同一项目补偿标准统一把关。",
    ),
    phrases=(f"{IN_TRIAL_CASE_LINE}，人民法院向我单位作出《败诉预警函》（洪法预〔2026〕3号）",),
    dates=frozenset({"2025年12月1日"}), case_no="（2026）苏0813行初45号",
)  # fmt: skip


PERFORMANCE_REPORT = Expected(
    title="生效判决履行情况报告", issuer=AGENCY, doc_no="履报〔2026〕1号",
    issued_on="2026年10月15日",
    lines=(
        "区行政争议调处中心：", "行政相对人（原告）：某某建材有限公司",
        "案涉行政机关：洪泽区自然资源和规划局", "案由：责令限期拆除决定",
        "管辖法院：洪泽区人民法院", "法院案号：（2026）苏0813行初52号", "裁判结果：败诉",
        "判决生效日期：2026年9月20日", "履行期限届满日：2026年11月20日", "履行状态：已全部履行",
        "履行日期：2026年10月15日",
    ),
    phrases=("某某建材有限公司诉洪泽区自然资源和规划局责令限期拆除决定一案（案号：（2026）苏0813行初52号），"
             "洪泽区人民法院作出的判决已于2026年9月20日发生法律效力（裁判结果：败诉），"
             "判决履行期限于2026年11月20日届满。",),
    dates=frozenset({"2026年9月20日", "2026年11月20日", "2026年10月15日"}),
    case_no="（2026）苏0813行初52号",
)  # fmt: skip


# -- mechanism 9: 败诉案件复盘整改; mechanism 10: 败诉主观过错责任追究 -----------------------------
LOST_CASE_LINE = (
    "原告某某食品有限公司因行政处罚提起行政诉讼一案（洪泽区人民法院，案号：（2026）苏0813行初88号）"
)
LOSS_REVIEW_REPORT = Expected(
    title="行政诉讼败诉案件复盘分析报告", issuer=AGENCY, doc_no="复盘〔2026〕1号",
    issued_on="2026年10月12日",
    lines=("区司法局：", "败诉原因类别：违反法定程序。",
           "本报告已经本单位主要负责人于2026年10月12日审签同意，现移送区司法局。"),
    phrases=(f"{LOST_CASE_LINE}，裁判结果为败诉。本单位于2026年9月29日收到败诉裁判文书。",
             "本单位作为复盘分析责任单位，于2026年10月9日对该案开展了复盘分析"),
    dates=frozenset({"2026年9月29日", "2026年10月9日", "2026年10月12日"}),
    case_no="（2026）苏0813行初88号",
)  # fmt: skip
RECTIFICATION_REPORT = Expected(
    title="败诉案件整改方案及整改情况报告", issuer=AGENCY, doc_no="整改〔2026〕1号",
    issued_on="2026年10月20日",
    lines=("区司法局：", "（一）对本单位近三年作出的行政处罚案卷开展自查。",
           "修订《行政处罚案件办理程序规定》，增加告知环节的审核清单。"),
    phrases=(f"针对{LOST_CASE_LINE}中暴露出的问题",),
    case_no="（2026）苏0813行初88号",
)  # fmt: skip
BUREAU_ANALYSIS_REPORT = Expected(
    title="行政诉讼败诉案件分析报告", issuer=BUREAU, doc_no="洪司析〔2026〕1号",
    issued_on="2026年10月27日",
    lines=("区人民政府：", "原告：某某食品有限公司", "案涉行政机关：洪泽区自然资源和规划局",
           "案由：行政处罚", "审理法院：洪泽区人民法院", "案号：（2026）苏0813行初88号",
           "裁判结果：败诉", "收到败诉裁判文书日期：2026年9月29日",
           "（一）在全区开展行政执法程序专项检查。", "本报告已经我局主要负责人审签。"),
    phrases=(f"{LOST_CASE_LINE}，裁判结果为败诉。",),
    dates=frozenset({"2026年9月29日"}), case_no="（2026）苏0813行初88号",
)  # fmt: skip


DISCIPLINE_TRANSFER_LETTER = Expected(
    title="行政败诉案件主观过错责任移送函", issuer=BUREAU, doc_no="洪司移〔2026〕1号",
    issued_on="2026年10月12日",
    lines=(
        "区纪检监察机关：", "原告（行政相对人）：周某", "案由：行政处罚",
        "审理法院：洪泽区人民法院", "案号：（2026）苏0813行初77号",
        "诉讼请求：撤销《行政处罚决定书》", "裁判结果：败诉",
        "败诉单位：洪泽区自然资源和规划局", "责任单位：洪泽区自然资源和规划局",
        "责任人员：刘某（执法大队副大队长），案件承办人；王某（法规科科长），法制审核人",
        "1.行政判决书复印件", "4.败诉案件复盘分析报告",
    ),
    phrases=("经认定，周某因行政处罚提起的行政诉讼案件（案号：（2026）苏0813行初77号）存在主观过错责任。",
             "洪泽区司法局于2026年10月9日对本案进行评价，认定本案存在主观过错责任。"),
    dates=frozenset({"2026年10月9日"}), case_no="（2026）苏0813行初77号",
)  # fmt: skip


INTERVIEW_RECORD = Expected(
    title="败诉率约谈记录", issuer=GOVERNMENT, doc_no="约谈〔2026〕1号", issued_on="2026年10月12日",
    lines=(
        "被约谈单位：洪泽区自然资源和规划局", "被约谈人：赵刚（主要负责人）", "约谈区领导：陈建国",
        "约谈时间：2026年10月12日9时30分", "约谈地点：区政府第一会议室",
        "参加人员：区政府办公室 王军；区司法局 李强；洪泽区自然资源和规划局 赵刚、刘洋",
        "（一）逐案开展复盘分析，查明败诉原因。",
        "经研究，由洪泽区自然资源和规划局主要负责人赵刚在区政府第十二次常务会议上"
        "就本单位行政诉讼败诉问题及整改措施予以表态发言。",
    ),
    phrases=("经评价，2026年第3季度，洪泽区自然资源和规划局审结行政诉讼案件3件，其中败诉2件，"
             "败诉率为66.7%（2/3），高于30.0%的评价阈值。",),
    dates=frozenset({"2026年10月12日"}),
)  # fmt: skip


# -- every kind, and what its document must say ----------------------------------------------------
Scenario = Callable[[Env, str], Rendered]
CONTENT: dict[str, tuple[Scenario, Expected]] = {
    "assignment_notice": (paths.agreement, ASSIGNMENT_NOTICE),
    "mediation_agreement": (paths.agreement, MEDIATION_AGREEMENT),
    "termination_notice": (paths.termination, TERMINATION_NOTICE),
    "termination_letter": (paths.termination, TERMINATION_LETTER),
    "legality_opinion": (paths.legality, LEGALITY_OPINION),
    "supervision_suggestion": (paths.supervision, SUPERVISION_SUGGESTION),
    "supervision_decision": (paths.supervision, SUPERVISION_DECISION),
    "self_correction_decision": (paths.in_trial, SELF_CORRECTION_DECISION),
    "pre_filing_notice_letter": (paths.pre_filing, PRE_FILING_NOTICE_LETTER),
    "explanation_record": (paths.explanation, EXPLANATION_RECORD),
    "special_report": (paths.in_trial, SPECIAL_REPORT),
    "performance_report": (paths.performance, PERFORMANCE_REPORT),
    "loss_review_report": (paths.review, LOSS_REVIEW_REPORT),
    "rectification_report": (paths.review, RECTIFICATION_REPORT),
    "bureau_analysis_report": (paths.review, BUREAU_ANALYSIS_REPORT),
    "interview_record": (paths.interview, INTERVIEW_RECORD),
    "discipline_transfer_letter": (paths.fault, DISCIPLINE_TRANSFER_LETTER),
}  # fmt: skip


def test_every_declared_kind_has_a_content_test():
    assert sorted(CONTENT) == sorted(DOCUMENT_KINDS)


@pytest.mark.parametrize("kind", sorted(DOCUMENT_KINDS))
def test_the_document_says_what_its_path_recorded(db, settings, clock, kind):
    if kind not in CONTENT:
        pytest.fail(f"文书类型 {kind} 没有内容测试：请在 CONTENT 中登记它的生成路径和应有内容")
    scenario, expected = CONTENT[kind]
    rendered = scenario(Env(db, settings, clock), kind)
    document = Docx(io.BytesIO(rendered.document.content))
    paragraphs = [p.text for p in document.paragraphs]
    shown = [p for p in paragraphs if p.strip()]
    text = "\n".join(paragraphs)

    assert shown[:3] == [expected.issuer, expected.doc_no, expected.title]  # masthead, title
    assert document.core_properties.title == expected.title
    assert rendered.document.doc_no == expected.doc_no
    closing = expected.closing or (expected.issuer, expected.issued_on)
    assert shown[-len(closing) :] == list(closing)  # signature: issuer and date
    assert [line for line in expected.lines if line not in paragraphs] == []
    assert [phrase for phrase in expected.phrases if phrase not in text] == []

    # dates: every one printed is expected, all in Chinese form
    printed = set(CHINESE_DATE.findall(text))
    issued = {expected.issued_on} if expected.issued_on else set()
    assert printed == set(expected.dates) | issued
    assert not re.search(r"\d{4}-\d{1,2}-\d{1,2}", text)
    # the case it is about, or none; nothing left blank, no raw value
    if expected.case_no is None:
        assert "案号" not in text
    else:
        assert expected.case_no in text
    assert "（未填写）" not in text
    assert not re.search(r"\b(?:True|False|None)\b|[{}\[\]]|[a-z]+_[a-z_]+", text)

    # periods: exactly those expected, each the one its deadline's timer counted
    assert PERIOD.findall(text) == [PERIOD.findall(p)[0] for p in expected.periods]
    assert [p for p in expected.periods if p not in text] == []
    if expected.periods:
        assert rendered.deadline is not None
        words, due = timer_period(rendered.deadline)
        assert set(PERIOD.findall(text)) == {f"{words}内"}
        if expected.due_on:
            assert f"请于{expected.due_on}前" in text
            assert expected.due_on == due
