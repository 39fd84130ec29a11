"""Chinese for what SpiffWorkflow, the BPMN schema (XSD) and Python say in English.

A process owner reads every refusal and incident in Chinese; the English original is kept
beside it (``detail``) for whoever asks the engine's authors. Each pattern matches the start of
one message the library raises; a message no pattern knows keeps a generic Chinese sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# BPMN element (local name) -> what a process owner calls it
ELEMENTS = {
    "definitions": "文件根元素", "process": "流程", "collaboration": "协作图",
    "participant": "池（参与者）", "laneSet": "泳道组", "lane": "泳道",
    "userTask": "用户任务", "task": "任务", "manualTask": "手工任务", "scriptTask": "脚本任务",
    "serviceTask": "服务任务", "sendTask": "发送任务", "receiveTask": "接收任务",
    "businessRuleTask": "业务规则任务", "callActivity": "调用活动", "subProcess": "子流程",
    "transaction": "事务子流程", "adHocSubProcess": "自由子流程",
    "startEvent": "开始事件", "endEvent": "结束事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件",
    "boundaryEvent": "边界事件", "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关", "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关", "complexGateway": "复杂网关",
    "sequenceFlow": "顺序流", "messageFlow": "消息流", "association": "关联",
    "conditionExpression": "条件表达式", "documentation": "说明（documentation）",
    "extensionElements": "扩展元素（extensionElements）", "timerEventDefinition": "定时器定义",
    "messageEventDefinition": "消息事件定义", "multiInstanceLoopCharacteristics": "多实例设置",
    "standardLoopCharacteristics": "循环设置", "message": "消息", "signal": "信号",
    "error": "错误", "escalation": "升级", "dataObject": "数据对象",
    "dataObjectReference": "数据对象引用", "dataStore": "数据存储",
    "dataStoreReference": "数据存储引用", "ioSpecification": "输入输出定义",
    "incoming": "流入", "outgoing": "流出", "script": "脚本", "textAnnotation": "注释",
}  # fmt: skip


def element_label(tag: str) -> str:
    """ "用户任务（userTask）" for ``{ns}userTask`` or ``bpmn:userTask``."""
    local = tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
    label = ELEMENTS.get(local)
    return f"{label}（{local}）" if label else local


def _quoted(names: str) -> str:
    locals_ = re.findall(r"\{[^}]*\}(\w+)", names)
    return "、".join(element_label(n) for n in locals_) if locals_ else names


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _rule(pattern: str, say: Callable[[re.Match[str]], str]) -> Rule:
    return re.compile(pattern, re.S), say


# -- the BPMN schema (libxml2's messages) --------------------------------------------------
SCHEMA: list[Rule] = [
    _rule(
        r"Element '([^']+)': This element is not expected\. Expected is(?: one of)? \((.*)\)",
        lambda m: (
            f"{element_label(m[1])}的位置不对：此处应为 {_quoted(m[2])}"
            "（BPMN 规定子元素的先后顺序，例如 documentation 须在 extensionElements 之前）"
        ),
    ),
    _rule(
        r"Element '([^']+)': This element is not expected\.",
        lambda m: f"此处不允许{element_label(m[1])}",
    ),
    _rule(
        r"Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value of the "
        r"atomic type 'xs:ID'",
        lambda m: (
            f"{element_label(m[1])}的 ID “{m[3]}”无效：ID 须唯一，"
            "以字母或下划线开头，只含字母、数字、-、_ 和 ."
        ),
    ),
    _rule(
        r"Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value of the "
        r"atomic type 'xs:boolean'",
        lambda m: f"{element_label(m[1])}的属性 {m[2]} 须为 true 或 false（现为“{m[3]}”）",
    ),
    _rule(
        r"Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value of the "
        r"(?:atomic|list|union) type '([^']+)'",
        lambda m: f"{element_label(m[1])}的属性 {m[2]} 的值“{m[3]}”不合规定（{m[4]}）",
    ),
    _rule(
        r"Element '([^']+)', attribute '([^']+)': The attribute '[^']+' is not allowed",
        lambda m: f"{element_label(m[1])}不允许属性 {m[2]}",
    ),
    _rule(
        r"Element '([^']+)': The attribute '([^']+)' is required but missing",
        lambda m: f"{element_label(m[1])}缺少必需的属性 {m[2]}",
    ),
    _rule(
        r"Element '([^']+)': Missing child element\(s\)\. Expected is(?: one of)? \((.*)\)",
        lambda m: f"{element_label(m[1])}缺少子元素：应有 {_quoted(m[2])}",
    ),
    _rule(
        r"Element '([^']+)': '([^']*)' is not a valid value of the atomic type '([^']+)'",
        lambda m: f"{element_label(m[1])}的内容“{m[2]}”不合规定（{m[3]}）",
    ),
    _rule(
        r"Element '([^']+)': No match found for key-sequence \['([^']*)'\]",
        lambda m: f"{element_label(m[1])}引用的“{m[2]}”不存在",
    ),
    _rule(
        r"Element '([^']+)': Element content is not allowed",
        lambda m: f"{element_label(m[1])}不能有内容",
    ),
]


def schema_message(english: str) -> str:
    for pattern, say in SCHEMA:
        found = pattern.search(english)
        if found:
            return say(found)
    return "不符合 BPMN 2.0 规范（XSD）：请在建模工具中打开并重新保存，或查看原文"


_EVENT_KINDS = {"Message": "消息", "Signal": "信号", "Error": "错误", "Escalation": "升级"}

# -- SpiffWorkflow's parser ------------------------------------------------------------------
PARSER: list[Rule] = [
    _rule(
        r"A Service Task must have an operator",
        lambda m: (
            "服务任务（serviceTask）要调用外部系统，本产品不调用外部系统："
            "请改为脚本任务（在沙箱中计算）或用户任务（由人办理）"
        ),
    ),
    _rule(
        r"No DMN Diagram available with id \W*([\w.-]+)",
        lambda m: f"业务规则任务引用的决策表“{m[1]}”不在上传的文件中",
    ),
    _rule(
        r"The process '([^']*)' was not found",
        lambda m: f"调用的流程“{m[1]}”未部署，也不在本文件中：请先部署它，或改为本文件中的流程 ID",
    ),
    _rule(r"There is no support implemented for this task type", lambda m: "本产品不支持此类元素"),
    _rule(
        r"NotImplementedError",
        lambda m: "流程图使用了引擎未实现的 BPMN 功能（例如补偿 compensation）：请删去该元素",
    ),
    _rule(
        r"No start event found",
        lambda m: "流程没有开始事件：请加一个开始事件（放在发起单位的泳道中）",
    ),
    _rule(
        r"Process (\S+) is not executable",
        lambda m: f"流程 {m[1]} 未标为可执行（isExecutable），不能运行",
    ),
    _rule(
        r"Multiple outgoing flows are not supported for tasks of type",
        lambda m: "此元素有多条流出的顺序流：任务和事件只能有一条流出；分支请用网关",
    ),
    _rule(
        r"A multiinstance task must specify a cardinality or a loop input data reference",
        lambda m: (
            "多实例任务须指定要遍历的集合（loopDataInputRef，流程数据中的列表）或次数"
            "（loopCardinality）"
        ),
    ),
    _rule(
        r"A multiinstance task must specify exactly one of cardinality",
        lambda m: "多实例任务只能指定集合（loopDataInputRef）或次数（loopCardinality）之一",
    ),
    _rule(
        r"The loop (input|output) data reference is missing from the IO specification",
        lambda m: "多实例的集合没有在任务的输入输出定义（ioSpecification）中声明",
    ),
    _rule(
        r"A loopMaximum or loopCondition must be specified for Loop Tasks",
        lambda m: "循环任务须指定最大次数（loopMaximum）或循环条件（loopCondition）",
    ),
    _rule(
        r"Duplicate process ID: (\S+)",
        lambda m: f"流程 ID 重复：{m[1]}（每个流程的 ID 须唯一）",
    ),
    _rule(
        r"Unsupported Catch Event",
        lambda m: "不支持的边界事件：没有事件定义，或是补偿事件（compensation，本产品不执行补偿）",
    ),
    _rule(
        r"Cancel Events may only be used with transactions", lambda m: "取消事件只能用于事务子流程"
    ),
    _rule(
        r"Unknown Time Specification",
        lambda m: "定时器没有时间设置（timeDate、timeDuration 或 timeCycle）",
    ),
    _rule(r"Time Specification Error\.?\s*(.*)", lambda m: "定时器的时间设置无效"),
    _rule(r"Conditional event definition with missing condition", lambda m: "条件事件缺少条件"),
    _rule(
        r"Expected an? (Message|Signal|Error|Escalation) node",
        lambda m: f"事件引用的{_EVENT_KINDS[m[1]]}不存在（请在事件上选择已定义的一项）",
    ),
    _rule(
        r"Could not find messageRef from message event definition",
        lambda m: "消息事件没有引用消息（messageRef）",
    ),
    _rule(
        r"(Message|Signal|Error|Escalation|Correlation|Data Store) (?:identifier|name) is "
        r"missing",
        lambda m: "消息、信号、错误等定义缺少 ID 或名称",
    ),
    _rule(
        r"Data Store with name (.+) has no implementation",
        lambda m: f"数据存储“{m[1]}”在本产品中没有实现",
    ),
    _rule(
        r"When looking for a task spec, we found two items.*\((.*)\)",
        lambda m: f"顺序流指向的元素 {m[1]} 不存在",
    ),
    _rule(
        r"Cannot resolve data(Input|Output)Association (.*)",
        lambda m: f"数据关联引用的数据对象 {m[2]} 不存在",
    ),
    _rule(
        r"A SubWorkflow Must contain an End event|Multiple StartEvents are not allowed in "
        r"SubProcess|SubWorkflow Task must contain a Start event|A SubWorkflow Must contain a "
        r"Start event",
        lambda m: "子流程须恰好有一个开始事件和至少一个结束事件",
    ),
    _rule(
        r"Ad hoc subprocesses may not contain start or end events|Sequential ordering for ad "
        r"hoc",
        lambda m: "自由子流程（adHocSubProcess）不能有开始或结束事件，也不支持顺序执行",
    ),
    _rule(
        r"No (?:.*)calledElement|CallActivity must have a calledElement",
        lambda m: "调用活动没有指定被调用的流程（calledElement）",
    ),
]


def parser_message(english: str) -> str:
    for pattern, say in PARSER:
        found = pattern.search(english)
        if found:
            return say(found)
    return "流程图无法解析：此元素的写法本产品不认识（见原文）"


# -- the sandbox's compiler (RestrictedPython) ---------------------------------------------
def sandbox_message(error: str) -> str:
    """Chinese for one error of ``sandbox.check_source`` (its own refusals are Chinese)."""
    if re.search(r"[\u4e00-\u9fff]", error):
        return error
    syntax = re.match(r"Line (\d+): SyntaxError: (.*?)(?: at statement:.*)?$", error, re.S)
    if syntax:
        return f"第 {syntax[1]} 行有语法错误（括号或引号不配对、缺少运算数等）"
    if "invalid variable name" in error or "invalid attribute name" in error:
        return "使用了以下划线开头的名字或属性（沙箱不允许）"
    if re.search(r"\b(exec|eval|print|import)\b", error):
        return "使用了沙箱不允许的语句或函数（exec、eval、import 等）"
    return "使用了沙箱不允许的写法"


# -- run time: scripts, expressions, gateways ---------------------------------------------
RUNTIME: list[Rule] = [
    _rule(
        r"name '([^']+)' is not defined",
        lambda m: f"流程数据中没有 {m[1]}：表达式或脚本读取了尚未赋值的字段",
    ),
    _rule(
        r"No conditions satisfied (?:for|on) ",
        lambda m: "网关的所有条件都不成立，且没有默认路径",
    ),
    _rule(r"Missing data input", lambda m: "任务需要的输入数据不在流程数据中"),
    _rule(
        r"Multiinstance input item (\S+) already exists",
        lambda m: f"多实例的元素变量 {m[1]} 与流程数据中的字段重名",
    ),
    _rule(
        r"(?:Data input|Multiinstance input|loop input).*not (?:a collection|found|iterable)|"
        r"does not exist|is not a collection",
        lambda m: "多实例要遍历的集合不在流程数据中，或不是列表",
    ),
    _rule(r"ZeroDivisionError", lambda m: "表达式中出现除以零"),
    _rule(r"KeyError:?\s*'?([^']*)'?", lambda m: f"读取的键 {m[1]} 不存在"),
    _rule(r"TypeError", lambda m: "表达式中的值类型不匹配（例如文本与数字相加）"),
    _rule(r"AttributeError", lambda m: "脚本使用了值上不存在（或沙箱不允许）的属性或方法"),
    _rule(r"_inplacevar_", lambda m: "脚本使用了增量赋值（+= 等），请写成 x = x + 1"),
    _rule(
        r"Invalid isoformat|isoformat|Unable to parse|Invalid date",
        lambda m: "日期或时间的写法无效",
    ),
    _rule(r"This process is not waiting for", lambda m: "流程当前不等待此消息"),
]


def runtime_message(english: str) -> str:
    for pattern, say in RUNTIME:
        found = pattern.search(english)
        if found:
            return say(found)
    return "流程运行出错（见原文）"


def shorten(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
