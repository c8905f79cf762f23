"""Props: script words mapped to the canonical prop names the engines know (ball, phone, ring …).

Each canonical name has its Chinese words (matched as written, with guards where a character is also part
of other words: 球 in 球场, 信 in 相信) and its English words (matched whole, plural forms included, so
"ring" is found in "the ring" but "bag" never in "baggage"). Unknown names are ignored by the previz.
"""

from __future__ import annotations

import re
from functools import lru_cache

# canonical name → (Chinese pattern, English words as a regex alternation matched whole and case-insensitively)
PROPS: dict[str, tuple[str, str]] = {
    "ball": (r"篮球|足球|排球|网球|皮球|(?<![地眼气])球(?![场队员衣鞋迷赛技鞋])", r"balls?|basketballs?|footballs?"),
    "hoop": (r"篮筐|篮板|球框|球筐", r"hoops?|backboards?"),
    "figurine": (r"手办|公仔|摆件|人偶|小雕像", r"figurines?|statuettes?|action figures?"),
    "phone": (r"手机|电话", r"phones?|cellphones?|smartphones?|mobile phones?"),
    "cup": (r"杯子|茶杯|酒杯|水杯|咖啡杯|杯(?!赛)", r"cups?|mugs?|glass(?:es)? of|wine ?glass(?:es)?|teacups?"),
    "beer": (r"啤酒", r"beers?|lagers?|pints?"),
    "bottle": (r"瓶子|酒瓶|水瓶|香槟|(?<![药花])瓶", r"bottles?|flasks?|champagne"),
    "car": (r"轿车|汽车|车子|跑车|出租车|的士", r"cars?|taxis?|sedans?|trucks?|jeeps?"),
    "bus": (r"公交车?|大巴|巴士|校车", r"bus(?:es)?|coach"),
    "bicycle": (r"自行车|单车", r"bicycles?|bikes?"),
    "knife": (r"匕首|水果刀|菜刀|刀子|(?<![剪镰])刀(?![疤口])", r"knives|knife|daggers?|blades?"),
    "gun": (r"手枪|步枪|狙击枪|枪(?!声|响)", r"guns?|pistols?|rifles?|revolvers?|shotguns?"),
    "document": (r"文件|合同|协议|报告|资料|病历|档案", r"documents?|contracts?|files?|papers|dossiers?|folders?"),
    "letter": (r"信封|信件|书信|情书|一封信|那封信|来信|(?<=[把将拿])信(?![任心息号念用])", r"letters?|envelopes?"),
    "book": (r"书本|课本|一本书|书籍|日记本?|笔记本(?!电脑)", r"books?|notebooks?|logbooks?|diar(?:y|ies)|journals?"),
    "laptop": (r"笔记本电脑|电脑", r"laptops?|computers?"),
    "ring": (r"戒指|钻戒|婚戒", r"(?:the|a|her|his|my|your|their|wedding|engagement|diamond) rings?|rings? box"),
    "bag": (r"书包|背包|手包|(?<!面)包里|(?<!面)包中|挎包|手提包|提包|钱包|行李箱", r"bags?|backpacks?|purses?|handbags?|satchels?|suitcases?|wallets?"),
    "money": (r"现金|钞票|红包|支票|一沓钱|(?<![价值有没])钱(?!包)", r"money|cash|banknotes?|wads? of bills"),
    "flowers": (r"鲜花|花束|玫瑰|一束花|捧花", r"flowers?|bouquets?|roses?"),
    "umbrella": (r"雨伞|伞", r"umbrellas?"),
    "cake": (r"蛋糕", r"cakes?"),
    "key": (r"钥匙", r"keys|keychains?|(?:his|her|my|your|their|car|house|door|spare|room|brass|iron|rusty|silver|gold|golden) key"
                   r"|(?:the|a) key(?=\s*[.,;:!?]|\s*$|\s+(?:in|into|from|on|under|back)\b)"),
    "photo": (r"照片|相片|相框|合影", r"photos?|photographs?|snapshots?|picture frames?|polaroids?"),
    "medicine": (r"药瓶|药片|药丸|药物|(?<![火弹])药(?!店)", r"medicines?|pills?|tablets?|medication"),
}

# a handled object is the focus of its action: 把X… (she puts the X …) or an English verb of handling
_FOCUS = re.compile(r"把|将|(?i:\b(?:pockets?|pocketed|picks? up|picked up|grabs?|grabbed|holds? (?:up|out)|held (?:up|out)"
                    r"|slides?|slid|puts? down|places?|placed|hands? (?:over|him|her)|drops?|dropped|opens?|opened"
                    r"|unfolds?|unfolded|clutch(?:es|ed)?|tucks?|tucked|sets? down|stares? at|looks? at)\b)")


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    return [(name, re.compile(rf"{zh}|(?i:\b(?:{en})\b)")) for name, (zh, en) in PROPS.items()]


def found(text: str) -> list[tuple[int, str]]:
    """(position, canonical name) of every prop named in `text`, in order, each name once."""
    first: dict[str, int] = {}
    for name, pattern in _patterns():
        match = pattern.search(text)
        if match:
            first[name] = match.start()
    return sorted(((at, name) for name, at in first.items()))


def props_in(text: str) -> list[str]:
    """The canonical props `text` names, in order of appearance."""
    return [name for _, name in found(text)]


def focus(text: str) -> str | None:
    """The prop an action is about: the first named after 把/将 or an English verb of handling, in the
    same clause. "她把球塞回包里" → ball; "He pockets the ring" → ring; "She smiles at him" → None."""
    props = found(text)
    for verb in _FOCUS.finditer(text):
        clause_end = re.search(r"[，。；！？,.;!?]", text[verb.end():])
        end = verb.end() + (clause_end.start() if clause_end else len(text))
        for at, name in props:
            if verb.end() <= at < end:
                return name
    return None
