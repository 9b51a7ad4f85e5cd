//! Names and places: region names, the cities of each base region, the brands, how
//! dealers of one brand in one city are told apart, and the region and dealer codes.

const REGION_NAMES: [&str; 8] = [
    "华东", "华南", "华北", "华中", "西南", "西北", "东北", "京津",
];

/// `(province, city)` of each base region, biggest markets first.
pub(super) const GEOGRAPHY: [&[(&str, &str)]; 8] = [
    &[
        ("上海", "上海"),
        ("江苏", "南京"),
        ("江苏", "苏州"),
        ("浙江", "杭州"),
        ("浙江", "宁波"),
        ("山东", "济南"),
        ("山东", "青岛"),
        ("江苏", "无锡"),
        ("安徽", "合肥"),
        ("福建", "福州"),
        ("福建", "厦门"),
        ("浙江", "温州"),
        ("山东", "烟台"),
        ("江苏", "常州"),
    ],
    &[
        ("广东", "广州"),
        ("广东", "深圳"),
        ("广东", "东莞"),
        ("广东", "佛山"),
        ("广西", "南宁"),
        ("海南", "海口"),
        ("广东", "珠海"),
        ("广东", "中山"),
        ("广西", "柳州"),
        ("广西", "桂林"),
        ("海南", "三亚"),
    ],
    &[
        ("河北", "石家庄"),
        ("山西", "太原"),
        ("河北", "唐山"),
        ("内蒙古", "呼和浩特"),
        ("河北", "保定"),
        ("内蒙古", "包头"),
        ("山西", "大同"),
        ("河北", "邯郸"),
    ],
    &[
        ("湖北", "武汉"),
        ("湖南", "长沙"),
        ("河南", "郑州"),
        ("江西", "南昌"),
        ("河南", "洛阳"),
        ("湖北", "宜昌"),
        ("湖南", "株洲"),
        ("湖北", "襄阳"),
        ("江西", "赣州"),
    ],
    &[
        ("四川", "成都"),
        ("重庆", "重庆"),
        ("云南", "昆明"),
        ("贵州", "贵阳"),
        ("四川", "绵阳"),
        ("四川", "宜宾"),
        ("云南", "曲靖"),
        ("贵州", "遵义"),
        ("西藏", "拉萨"),
    ],
    &[
        ("陕西", "西安"),
        ("甘肃", "兰州"),
        ("新疆", "乌鲁木齐"),
        ("宁夏", "银川"),
        ("青海", "西宁"),
        ("陕西", "宝鸡"),
        ("陕西", "榆林"),
        ("新疆", "克拉玛依"),
    ],
    &[
        ("辽宁", "沈阳"),
        ("辽宁", "大连"),
        ("吉林", "长春"),
        ("黑龙江", "哈尔滨"),
        ("吉林", "吉林"),
        ("黑龙江", "大庆"),
        ("辽宁", "鞍山"),
    ],
    &[("北京", "北京"), ("天津", "天津"), ("河北", "廊坊")],
];

/// The OEM's brands (invented).
pub(super) const BRANDS: [&str; 3] = ["云驰", "锦程", "凌霄"];

/// Tells apart several dealers of one brand in one city: "苏州云驰4S店", "苏州云驰城东4S店"…
pub(super) const NAME_QUALIFIERS: [&str; 10] = [
    "",
    "城东",
    "城西",
    "城南",
    "城北",
    "新区",
    "高新区",
    "开发区",
    "机场路",
    "滨江",
];

pub(super) fn region_code(i: usize) -> String {
    format!("R{:02}", i + 1)
}

pub(super) fn region_name(i: usize) -> String {
    let base = REGION_NAMES[i % REGION_NAMES.len()];
    match i / REGION_NAMES.len() {
        0 => base.to_string(),
        k => format!("{base}{}", k + 1),
    }
}

pub(super) fn dealer_code(i: usize) -> String {
    format!("D{:05}", i + 1)
}
