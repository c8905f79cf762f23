"""The sets the previz builds, as data: which words of a location name each one, its palette and the
elements that make it read as what it is (drawn by engine/previz/dressing.py), and the choice of a set
for a scene.

A location is matched word by word (English whole words, so "bar" is not in "barn"; Chinese by
substring). A set of the wrong kind (interior/exterior) gives way to its `twin` (an interior basketball
court is a gym, the outside of a bus is a street); then a set of the scene's kind wins, then the
longest word, then a set named outright over a twin, then the word said last ("医院走廊" is a
corridor, "hospital corridor" too; "山路上的大巴" outside is the mountain road, inside the bus).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.api import SceneContext
from engine.previz.color import RGB
from engine.previz.words import find

HOMES: tuple[RGB, ...] = ((226, 214, 196), (206, 208, 200), (188, 200, 186), (180, 192, 206), (222, 200, 180), (214, 206, 214))
WOODS: tuple[RGB, ...] = ((150, 104, 70), (122, 86, 60), (176, 140, 100), (96, 80, 72))
PALE: tuple[RGB, ...] = ((232, 234, 230), (220, 228, 226), (226, 226, 218))
TILES: tuple[RGB, ...] = ((200, 200, 196), (186, 190, 192), (214, 210, 200))
CARPETS: tuple[RGB, ...] = ((96, 100, 110), (120, 112, 104), (84, 92, 100))


@dataclass(frozen=True)
class Set:
    """One set. Interiors: `walls`/`floors` are the room's colours, `depth` and `half` the back wall's
    distance beyond the subject and half the room's width (m), `back` the back wall's elements, `side`
    the side walls' and `furniture` the pieces in the room. Exteriors: `walls` colour the buildings,
    `floors` the ground, `far` is the distant view, `furniture` what stands along the far side."""

    name: str
    words: tuple[str, ...]
    inside: bool
    walls: tuple[RGB, ...]
    floors: tuple[RGB, ...]
    floor: str = "boards"  # boards, tiles, carpet, court, stone, metal / road, grass, court, sand, roof, mountain, deck
    back: tuple[str, ...] = ()
    side: tuple[str, ...] = ()
    furniture: tuple[str, ...] = ()
    far: str = "city"  # exteriors: city, trees, mountains, sea, river, below (a skyline seen from above)
    ceiling: float = 2.8
    depth: tuple[float, float] = (2.4, 4.0)
    half: tuple[float, float] = (2.6, 4.5)
    twin: str | None = None  # the set to build when the scene is of the other kind
    shows: tuple[str, ...] = ()  # props the set already has in view (a court's hoop): not drawn again
    table: bool = True  # small props stand on a table; without one (a bus, a car) they lie on a seat


SETS: tuple[Set, ...] = (
    # ---------------------------------------------------------------- homes
    Set("living", ("客厅", "家中", "家里", "公寓", "living room", "lounge", "apartment", "flat", "home", "house", "别墅"), True,
        HOMES, WOODS, "boards", ("window", "door", "picture", "picture"), (), ("sofa", "floor_lamp", "bookshelf", "plant")),
    Set("bedroom", ("卧室", "卧房", "房间", "宿舍", "bedroom", "dorm", "dormitory", "hotel room"), True,
        HOMES, WOODS, "boards", ("window", "picture", "door"), (), ("bed", "nightstand", "wardrobe")),
    Set("kitchen", ("厨房", "灶台", "kitchen"), True,
        PALE, TILES, "tiles", ("window", "cabinets"), (), ("counter", "stove", "fridge")),
    # ---------------------------------------------------------------- work and school
    Set("office", ("办公室", "办公", "会议室", "公司", "总裁办", "office", "meeting room", "boardroom", "company"), True,
        PALE + ((206, 208, 200),), CARPETS, "carpet", ("city_window", "door"), ("ceiling_lights",), ("desk", "cabinet", "plant")),
    Set("classroom", ("教室", "课堂", "班级", "学校", "classroom", "class", "school", "lecture hall"), True,
        ((226, 222, 200), (214, 224, 214), (230, 226, 214)), WOODS + TILES, "tiles", ("blackboard", "clock", "window"),
        ("ceiling_lights",), ("school_desks", "teacher_desk"), twin="court"),
    Set("ward", ("病房", "医院", "诊所", "急诊", "hospital", "ward", "clinic", "infirmary"), True,
        ((214, 230, 224), (230, 234, 232), (206, 222, 230)), TILES, "tiles", ("window", "curtain_rail"), ("ceiling_lights",),
        ("hospital_bed", "iv_stand", "bedside_monitor")),
    Set("courtroom", ("法庭", "法院", "审判庭", "courtroom", "courthouse", "court room", "tribunal", "court"), True,
        ((150, 110, 80), (170, 128, 90)), WOODS, "boards", ("emblem",), (), ("judge_bench", "benches"), ceiling=4.0, twin="court"),
    # ---------------------------------------------------------------- eating, drinking, shopping
    Set("cafe", ("咖啡", "咖啡馆", "咖啡厅", "奶茶店", "cafe", "café", "coffee", "coffee shop", "tea house", "茶馆"), True,
        ((200, 170, 140), (180, 150, 120), (226, 210, 186)), WOODS, "boards", ("menu_board", "window"), (), ("counter", "pendant_lamps", "plant")),
    Set("restaurant", ("餐厅", "饭店", "饭馆", "酒楼", "包间", "包厢", "食堂", "restaurant", "diner", "canteen", "dining room"), True,
        ((196, 120, 90), (220, 190, 150), (200, 180, 160)), WOODS + TILES, "tiles", ("picture", "window", "lanterns"), (),
        ("dining_tables",)),
    Set("bar", ("酒吧", "夜店", "清吧", "会所", "bar", "pub", "club", "nightclub", "tavern", "lounge bar"), True,
        ((50, 40, 46), (40, 44, 56), (64, 44, 40)), ((60, 44, 36), (40, 36, 40)), "boards", ("bottle_shelf", "neon"), (), ("bar_counter", "stools")),
    Set("shop", ("商店", "超市", "便利店", "小卖部", "商场", "店", "shop", "store", "supermarket", "boutique", "mall", "market"), True,
        PALE, TILES, "tiles", ("goods_shelf", "goods_shelf"), ("ceiling_lights",), ("shop_counter", "goods_rack")),
    # ---------------------------------------------------------------- halls
    Set("hall", ("大厅", "宴会厅", "宴会", "宴", "大堂", "厅", "酒店", "礼堂", "banquet", "ballroom", "lobby", "hall", "hotel", "wedding"), True,
        ((226, 204, 160),), ((216, 210, 200),), "stone", ("window", "door", "window", "picture"), (), ("banquet_tables", "champagne", "chandeliers"),
        ceiling=4.6, depth=(5.4, 7.0), half=(4.7, 8.1)),
    Set("palace", ("宫", "宫殿", "皇宫", "大殿", "殿", "王府", "朝堂", "palace", "throne room", "temple", "庙"), True,
        ((150, 36, 30), (130, 30, 28)), ((120, 100, 80), (150, 130, 90)), "stone", ("screen_wall",), (), ("throne", "pillars", "lanterns"),
        ceiling=5.0, depth=(5.0, 7.0), half=(5.0, 7.0)),
    Set("gym", ("体育馆", "篮球馆", "室内篮球场", "健身房", "gym", "gymnasium", "sports hall"), True,
        ((200, 196, 186), (180, 186, 196)), ((196, 150, 96),), "court", ("wall_hoop", "scoreboard"), ("ceiling_lights",), (),
        ceiling=6.0, depth=(6.0, 9.0), half=(6.0, 9.0), twin="court", shows=("hoop",)),
    # ---------------------------------------------------------------- passages
    Set("corridor", ("走廊", "过道", "楼道", "长廊", "corridor", "hallway", "passage", "hall way"), True,
        PALE + HOMES[:2], TILES, "tiles", ("door",), ("side_doors", "ceiling_lights"), (), depth=(9.0, 13.0), half=(1.2, 1.6)),
    Set("stairwell", ("楼梯", "楼梯间", "楼梯口", "台阶", "stairs", "stairwell", "staircase", "steps"), True,
        ((190, 190, 184), (210, 206, 196)), ((150, 150, 146),), "stone", ("exit_sign",), (), ("stairs",), depth=(2.0, 3.0), half=(1.8, 2.4)),
    # ---------------------------------------------------------------- vehicles
    Set("bus", ("大巴", "公交", "公交车", "巴士", "车上", "车厢", "客车", "地铁", "火车", "高铁", "列车", "船舱", "bus", "coach", "subway", "metro", "train",
                 "ferry cabin", "ship cabin", "boat cabin"), True,
        ((214, 216, 212), (200, 206, 214)), ((90, 94, 100),), "metal", ("windshield",), ("bus_windows", "ceiling_lights"), ("bus_seats",),
        ceiling=2.3, depth=(5.0, 7.0), half=(1.2, 1.3), twin="street", shows=("bus",), table=False),
    Set("car", ("车里", "车内", "轿车", "汽车", "出租车", "豪车", "副驾", "驾驶座", "car", "taxi", "cab", "limousine"), True,
        ((40, 40, 44), (70, 64, 58), (120, 110, 96)), ((36, 36, 40),), "metal", ("car_window",), (), ("car_seat",),
        ceiling=1.9, depth=(0.5, 0.7), half=(1.0, 1.2), twin="street", shows=("car",), table=False),
    # ---------------------------------------------------------------- outside
    Set("street", ("街", "街道", "街头", "马路", "路边", "路口", "巷", "小巷", "公交站", "车站", "城市", "street", "road", "alley", "sidewalk", "downtown",
                   "city", "bus stop", "crossroads"), False,
        HOMES, ((62, 64, 70),), "road", furniture=("shopfronts", "street_lamps"), far="city", depth=(12.0, 16.0)),
    Set("gate", ("门口", "大门", "门外", "别墅门口", "gate", "villa", "mansion", "entrance", "driveway"), False,
        ((150, 140, 126),), ((120, 116, 110),), "drive", furniture=("villa_gate",), far="city", depth=(5.0, 7.0)),
    Set("bridge", ("桥", "大桥", "桥上", "江边", "江上", "河边", "湖边", "码头", "港口", "渡口", "船上", "甲板", "bridge", "river",
                   "riverside", "lake", "embankment", "pier", "harbour", "harbor", "dock", "docks", "wharf", "port", "ferry",
                   "deck"), False,
        ((70, 72, 78),), ((70, 72, 76),), "deck", furniture=("railing",), far="river", depth=(12.0, 16.0)),
    Set("park", ("公园", "花园", "树下", "树荫", "草地", "庭院", "院子", "park", "garden", "tree", "trees", "lawn", "yard", "courtyard"), False,
        ((88, 130, 70),), ((88, 130, 70),), "grass", furniture=("trees", "bench"), far="trees", depth=(6.0, 12.0)),
    Set("forest", ("树林", "森林", "林中", "竹林", "林子", "forest", "woods", "wood", "jungle", "bamboo"), False,
        ((60, 90, 50),), ((74, 96, 56),), "grass", furniture=("dense_trees",), far="trees", depth=(4.0, 8.0)),
    Set("mountain", ("山", "山路", "山上", "山顶", "山间", "山区", "盘山公路", "悬崖", "mountain", "mountains", "mountain road", "hill", "hills", "cliff",
                     "highway"), False,
        ((120, 130, 110),), ((150, 140, 120),), "mountain", furniture=("guard_rail",), far="mountains", depth=(8.0, 14.0)),
    Set("beach", ("海边", "沙滩", "海滩", "大海", "海上", "岸边", "beach", "sea", "seaside", "coast", "shore", "ocean"), False,
        ((220, 206, 170),), ((222, 204, 160),), "sand", furniture=("palms",), far="sea", depth=(10.0, 16.0)),
    Set("rooftop", ("天台", "楼顶", "屋顶", "顶楼", "阳台", "rooftop", "roof", "terrace", "balcony"), False,
        ((170, 170, 166),), ((150, 150, 146),), "roof", furniture=("parapet", "water_tank"), far="below", depth=(3.0, 5.0)),
    Set("court", ("篮球场", "球场", "操场", "运动场", "篮球", "篮下", "篮筐", "球架", "校园", "学校", "court", "hoop", "basketball court", "playground", "sports field", "football field", "schoolyard",
                  "campus", "school", "basketball"), False,
        ((180, 60, 50),), ((170, 80, 64), (60, 110, 150), (70, 120, 80)), "court", furniture=("fence", "hoop"), far="trees", depth=(5.0, 8.0), twin="gym",
        shows=("hoop",)),
)

BY_NAME = {s.name: s for s in SETS}
DEFAULT = {True: BY_NAME["living"], False: BY_NAME["street"]}


def set_for(scene: SceneContext, prompt: str = "") -> Set:
    """The set to build for a scene: named by its location, else by the prompt (sets of the scene's kind
    only: a style prompt's stray words must not move the room), else a living room or a street."""
    return _match(scene.location.lower(), scene.interior) or _match(prompt.lower(), scene.interior, same_kind=True) or DEFAULT[scene.interior]


def _match(text: str, interior: bool, same_kind: bool = False) -> Set | None:
    """The best set a word of `text` names: of the scene's kind (itself or as its twin) first, then the
    longest word, then a set named outright over a twin, then the word said last."""
    best, rank = None, None
    for s in SETS:
        built = BY_NAME[s.twin] if s.inside != interior and s.twin is not None else s
        if same_kind and built.inside != interior:
            continue
        for word in s.words:
            at = find(word, text)
            if at >= 0:
                key = (built.inside == interior, len(word), built is s, at + len(word))
                if rank is None or key > rank:
                    best, rank = built, key
    return best
