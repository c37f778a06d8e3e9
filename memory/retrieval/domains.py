"""Domain tags: keyword cues (English, Japanese, Korean) first, embedding prototypes to break
ties and as the fallback.

English cues are whole words (with plural/tense endings; a trailing `*` makes a cue a prefix:
"allerg*" matches "allergic"), so "tea" does not match "team" nor "work" "workout". Japanese
and Korean have no spaces between words, so their cues are substrings, chosen (or fenced with
look-arounds) so they do not sit inside unrelated words: 夫 is not 大丈夫, 술 is not 수술.
The first tag is the primary domain: the one with the most cues, the closest prototype among
equals. Measured on tests/memory/ingest/data/statements.json (see the README).
"""

import re
from functools import cache

import numpy as np

from macaron.embeddings import get_embedder

EN_CUES: dict[str, str] = {
    "food": """food eat ate eaten meal cook cooking recipe dinner lunch breakfast brunch
        restaurant snack vegan vegetarian pizza pasta coffee tea latte espresso wine beer
        calorie protein diet bake baking bread sourdough kitchen dish cuisine curry ramen sushi
        noodle rice salad soup dessert cake chocolate cheese fruit vegetable spicy taste
        flavor flavour cilantro coriander grocery groceries bakery cafe chef milk juice
        smoothie burger steak chicken seafood sandwich cereal oatmeal tofu takeout dumpling
        taco barbecue bbq menu delicious yummy hungry cuisine""",
    "fitness": """workout gym run ran running runner jog jogging yoga pilates swim swimming swam laps
        hike hiking bike biking cycling exercise training marathon 5k 10k tennis football
        soccer basketball baseball volleyball badminton golf climbing bouldering lift lifting
        weights weightlifting squat deadlift bench pushup push-up steps sport sports
        stretching cardio crossfit trainer rowing surf surfing karate judo boxing
        fitness""",
    "health": """health healthy doctor dentist sick ill illness allerg* intoleran* lactose
        gluten medicine medication meds pill sleep sleeping insomnia headache migraine injur*
        hospital clinic therapy therapist anxiety depress* pain surgery diagnos* blood
        vitamin hydrat* flu fever cough symptom asthma diabet* cholesterol prescription
        checkup vaccine pregnan* rash eczema physiotherap* mental""",
    "travel": """travel trip flight fly flying flew airline hotel hostel airbnb vacation
        holiday beach abroad overseas tour tourist passport visa airport camping backpack*
        honeymoon cruise resort sightseeing itinerary jetlag luggage suitcase booked booking
        getaway cabin""",
    "finance": """money budget salary paid pay bank banking invest* saving savings spend spent
        rent loan debt mortgage price cost expensive cheap tax taxes credit debit dollar
        euro bill bills income pension retirement stock stocks fund crypto bitcoin insurance
        afford payment wage paycheck financ*""",
    "relationships": """friend family mom mother mum dad father parent sister brother sibling
        husband wife partner boyfriend girlfriend fiance fiancee kid child children son
        daughter baby wedding married marry dating grandma grandpa grandmother grandfather
        aunt uncle cousin niece nephew relationship divorce* anniversary roommate neighbour
        neighbor""",
    "work": """work job boss office career colleague coworker co-worker meeting project client
        customer promotion promoted interview business startup company manager employer
        employee shift overtime freelance* quit quitting resign* hired fired deadline presentation
        engineer developer programmer nurse lawyer accountant designer agency consultant
        contract commute intern internship profession occupation""",
    "study": """study studying school class course exam test quiz university college degree
        bachelor master phd homework learn learning lesson teacher professor student research
        thesis dissertation graduate graduated major semester lecture tutor kindergarten
        certificate bootcamp textbook""",
    "hobbies": """hobby paint painting draw drawing sketch music guitar piano cello violin drum
        ukulele instrument orchestra band choir sing singing concert gig book read reading
        novel game gaming chess puzzle movie film cinema anime manga photograph* camera
        garden* craft knit* crochet sew* embroider* dance dancing art pottery ceramic
        collect* vinyl record podcast series netflix fishing lego woodwork* poetry theatre
        theater comic watercolo* karaoke""",
}
# Japanese and Korean cues: regular expressions matched anywhere.
CJK_CUES: dict[str, str] = {
    "food": r"料理|食べ|ご飯|ごはん|朝食|昼食|夕食|ランチ|ディナー|自炊|レシピ|焼肉|寿司|"
    r"ラーメン|パンを|パン屋|食パン|ケーキ|コーヒー|紅茶|お茶|抹茶|ラテ|ワイン|ビール|お酒|納豆|"
    r"辛い|外食|レストラン|カフェ|パクチー|野菜|果物|お菓子|スイーツ|弁当|食事|ベジタリアン|"
    r"음식|먹|요리|식사|밥|점심|커피|녹차|라떼|와인|맥주|(?<!수)술|빵|케이크|간식|디저트|맛집|"
    r"맛있|매운|떡볶이|김치|삼겹살|고기|채소|야채|과일|채식|비건|레시피|식당|카페|라면|치킨|"
    r"피자|고수",
    "fitness": r"運動|ジム|ランニング|走る|走っ|走り|筋トレ|ヨガ|ピラティス|マラソン|テニス|"
    r"サッカー|野球|バスケ|水泳|泳い|泳ぐ|プール|ハイキング|登山|サイクリング|スクワット|"
    r"腕立て|万歩|歩数|トレーニング|スポーツ|ストレッチ|ゴルフ|ボルダリング|卓球|バドミントン|"
    r"운동|헬스|달리기|달려|달렸|뛰었|뛰어|러닝|조깅|마라톤|요가|필라테스|수영|등산|자전거|"
    r"스쿼트|축구|야구|농구|테니스|배드민턴|골프|클라이밍|걸었|걷기|만 ?보|스트레칭|근력|"
    r"웨이트|트레이닝|스포츠|체육관|탁구",
    "health": r"健康|病院|医者|医師|歯医者|歯科|薬|アレルギー|睡眠|眠れ|寝込|頭痛|痛み|手術|"
    r"風邪|花粉症|血圧|体調|病気|診断|治療|通院|入院|不眠|喘息|糖尿|怪我|骨折|症状|検査|健診|"
    r"ビタミン|妊娠|持病|親知らず|虫歯|"
    r"건강|병원|의사|치과|약을|약이|약국|진통제|알레르기|수면|잠을|잠이|두통|통증|아파|아프|"
    r"수술|감기|비염|혈압|당뇨|천식|진료|치료|입원|건강검진|우울|불안|다쳤|부상|골절|사랑니|"
    r"충치|증상|비타민|임신",
    "travel": r"旅行|旅|飛行機|ホテル|旅館|空港|パスポート|海外|観光|ツアー|温泉|フライト|"
    r"泊|ビーチ|キャンプ|"
    r"여행|비행기|호텔|료칸|숙소|공항|여권|해외|관광|휴가|캠핑|투어|항공|비자|묵었",
    "finance": r"お金|予算|給料|給与|貯金|貯め|投資|家賃|ローン|借金|返済|奨学金|支出|出費|"
    r"節約|家計|口座|銀行|株|保険|税金|年金|万円|クレジットカード|ボーナス|収入|使いすぎ|"
    r"支払|"
    r"돈을|돈이|돈은|예산|월급|급여|연봉|저축|적금|예금|투자|주식|월세|전세|대출|빚|갚|지출|"
    r"가계부|절약|은행|통장|신용카드|보험|세금|연금|만 ?원|보너스|용돈",
    "relationships": r"友達|友人|親友|家族|母|父|妹|姉|弟|兄|(?<!丈)夫(?!婦)|妻|彼氏|彼女|恋人|"
    r"息子|娘|子供|子ども|赤ちゃん|祖母|祖父|おばあちゃん|おじいちゃん|両親|結婚|付き合|"
    r"婚約|離婚|デート|いとこ|孫|旦那|奥さん|"
    r"친구|가족|엄마|아빠|어머니|아버지|부모님|여동생|남동생|언니|오빠|누나|남편|아내|"
    r"와이프|남자친구|여자친구|애인|아들|딸(?!기)|아기|할머니|할아버지|결혼|사귄|사귀|연애|"
    r"데이트|이혼|삼촌|이모|고모|사촌|조카|손자|손녀|생신",
    "work": r"仕事|会社|上司|同僚|部下|職場|勤務|働い|働く|転職|就職|会議|プレゼン|"
    r"プロジェクト|残業|出勤|退職|昇進|エンジニア|看護師|社員|業務|出張|取引先|顧客|面接|"
    r"バイト|営業|職業|締め切り|"
    r"직장|회사|일해|일하|업무|출근|퇴근|야근|회의|발표|프로젝트|팀장|상사|동료|이직|취업|"
    r"퇴사|입사|승진|재택근무|근무|엔지니어|개발자|간호사|직업|면접|알바|아르바이트|고객|"
    r"거래처|마감",
    "study": r"勉強|学校|試験|テスト|大学|授業|講座|講義|宿題|専攻|論文|卒業|学生|留学|受験|"
    r"資格|塾|学期|研究|独学|習っ|学ん|検定|"
    r"공부|학교|시험|대학|수업|강의|학원|숙제|과제|전공|논문|졸업|학생|유학|토익|기말고사|"
    r"중간고사|자격증|배워|배운|입시",
    "hobbies": r"趣味|音楽|映画|読書|小説|本を|漫画|マンガ|アニメ|ゲーム|写真|カメラ|絵|ピアノ|"
    r"ギター|バイオリン|楽器|カラオケ|ライブ|コンサート|バンド|陶芸|手芸|編み物|園芸|"
    r"ガーデニング|育て|将棋|囲碁|釣り|美術|書道|ダンス|踊|ドラマ|"
    r"취미|음악|영화|독서|소설|책을|만화|웹툰|애니메이션|게임|사진|카메라|그림|피아노|기타를|"
    r"바이올린|첼로|악기|노래|콘서트|공연|밴드|도자기|뜨개질|공예|정원|텃밭|키우|바둑|낚시|"
    r"미술|전시회|드라마|댄스",
}
DOMAINS = list(EN_CUES)


def _english(words: str) -> str:
    cues = []
    for word in words.split():
        if word.endswith("*"):
            cues.append(re.escape(word[:-1]) + r"\w*")
        else:  # the word with its plural or tense endings
            cues.append(re.escape(word) + r"(?:s|es|d|ed|ing)?")
    return r"\b(?:" + "|".join(cues) + r")\b"


_CUE_RES = {
    domain: (
        re.compile(_english(EN_CUES[domain]), re.IGNORECASE),
        re.compile(CJK_CUES[domain]),
    )
    for domain in DOMAINS
}

# Several descriptions per domain, in the languages we serve, so a Japanese or Korean statement
# is compared with text in its own language (cross-lingual cosines are lower).
PROTOTYPES = {
    "food": (
        "food, cooking, meals, recipes, drinks and restaurants",
        "食べ物、料理、食事、飲み物、レストラン",
        "음식, 요리, 식사, 음료, 맛집",
    ),
    "fitness": (
        "exercise, workouts, running, sports and training",
        "運動、トレーニング、ランニング、スポーツ",
        "운동, 헬스, 달리기, 스포츠",
    ),
    "health": (
        "health, illness, allergies, doctors, medicine, sleep and wellbeing",
        "健康、病気、アレルギー、医者、薬、睡眠",
        "건강, 질병, 알레르기, 병원, 약, 수면",
    ),
    "travel": (
        "travel, trips, flights, hotels and holidays abroad",
        "旅行、旅、飛行機、ホテル、海外",
        "여행, 비행기, 호텔, 해외, 휴가",
    ),
    "finance": (
        "money, budget, spending, saving, rent and bills",
        "お金、予算、支出、貯金、家賃",
        "돈, 예산, 지출, 저축, 월세",
    ),
    "relationships": (
        "family, friends, partner, children and relationships",
        "家族、友達、恋人、子供、人間関係",
        "가족, 친구, 연인, 아이, 인간관계",
    ),
    "work": (
        "job, work, career, colleagues, boss and office",
        "仕事、職場、会社、同僚、上司",
        "일, 직장, 회사, 동료, 상사",
    ),
    "study": (
        "studying, school, university, courses, exams and learning",
        "勉強、学校、大学、授業、試験",
        "공부, 학교, 대학교, 수업, 시험",
    ),
    "hobbies": (
        "hobbies, music, art, books, games, crafts and movies",
        "趣味、音楽、美術、読書、ゲーム、映画",
        "취미, 음악, 미술, 독서, 게임, 영화",
    ),
}


@cache
def _prototype_matrix(model_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Every prototype's vector, and the index of its domain."""
    texts = [(i, text) for i, domain in enumerate(DOMAINS) for text in PROTOTYPES[domain]]
    vectors = get_embedder().embed_documents([text for _, text in texts])
    return vectors, np.array([i for i, _ in texts])


def domain_prototypes_warm_up() -> None:
    """Build the prototype vectors now (at process start) instead of on the first memory."""
    _prototype_matrix(get_embedder().name)


def _closeness(embedding: np.ndarray) -> np.ndarray:
    """Per domain, the cosine of its closest prototype."""
    vectors, owners = _prototype_matrix(get_embedder().name)
    sims = vectors @ embedding
    best = np.full(len(DOMAINS), -1.0)
    np.maximum.at(best, owners, sims)
    return best


def _cue_counts(text: str) -> dict[str, int]:
    counts = {}
    for domain, (english, cjk) in _CUE_RES.items():
        found = {m.group(0).casefold() for m in english.finditer(text)}
        found |= {m.group(0) for m in cjk.finditer(text)}
        if found:
            counts[domain] = len(found)
    return counts


def tag_domains(text: str, embedding: np.ndarray | None = None) -> list[str]:
    """Domains named by keyword cues, the primary one first (most cues; among equals the closest
    prototype, else the earliest in DOMAINS); without any cue, the closest prototype."""
    counts = _cue_counts(text)
    closeness = _closeness(embedding) if embedding is not None else None
    if counts:

        def rank(domain: str) -> tuple[int, float]:
            near = float(closeness[DOMAINS.index(domain)]) if closeness is not None else 0.0
            return counts[domain], near

        return sorted(counts, key=rank, reverse=True)
    if closeness is None:
        return []
    # Measured on the labelled set: requiring a margin over the runner-up left a fifth of the
    # statements without cues untagged, and the closest prototype is right for most of them.
    return [DOMAINS[int(np.argmax(closeness))]]


def primary_domain(text: str, embedding: np.ndarray | None = None) -> str | None:
    found = tag_domains(text, embedding)
    return found[0] if found else None
