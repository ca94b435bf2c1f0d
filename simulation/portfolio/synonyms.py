"""Column names and status words in the languages of the presets' markets (Vietnamese, Thai, Bulgarian) and in
German and French, beside the English ones of :mod:`simulation.portfolio.columns`.

They are written as people write them; :func:`~simulation.portfolio.columns.normalise` compares
them without case or accents, so ``KÜNDIGUNGSDATUM`` and ``kundigungsdatum`` both match.
"""

from __future__ import annotations

_IDS = (
    "Kundennummer", "Kunden-Nr", "Kundennr", "Kunden-ID", "Kunde", "Kd-Nr",
    "numéro client", "n° client", "no client", "id client", "code client", "identifiant client", "client",
    "mã khách hàng", "mã KH", "khách hàng",
    "รหัสลูกค้า", "ลูกค้า",
    "клиент", "номер на клиент", "код на клиент",
)  # fmt: skip

CUSTOMERS: dict[str, tuple[str, ...]] = {
    "customer_id": _IDS,
    "name": (
        "Name", "Firma", "Kundenname", "Firmenname",
        "nom", "nom client", "raison sociale", "société",
        "tên", "tên khách hàng", "công ty",
        "ชื่อ", "ชื่อลูกค้า", "บริษัท",
        "име", "фирма", "име на клиент",
    ),
    "owner": (
        "Betreuer", "Kundenbetreuer", "Verantwortlicher", "Vertriebsmitarbeiter", "Außendienst",
        "responsable", "commercial", "chargé de compte", "gestionnaire",
        "người phụ trách", "nhân viên kinh doanh", "phụ trách",
        "ผู้ดูแล", "พนักงานขาย", "ผู้รับผิดชอบ",
        "отговорник", "търговец", "акаунт мениджър",
    ),
    "revenue": (
        "Umsatz", "Monatsumsatz", "Umsatz pro Monat", "Jahresumsatz", "Erlös", "Erlöse",
        "chiffre d'affaires", "CA", "CA mensuel", "revenu", "revenus",
        "doanh thu", "doanh số", "doanh thu tháng",
        "รายได้", "ยอดขาย", "รายได้ต่อเดือน",
        "приходи", "приход", "оборот",
    ),
    "start": (
        "Startdatum", "Vertragsbeginn", "Beginn", "Kunde seit", "Eintrittsdatum", "Anmeldedatum",
        "date de début", "début", "client depuis", "date d'inscription", "date de souscription",
        "ngày bắt đầu", "ngày đăng ký", "ngày ký hợp đồng",
        "วันที่เริ่ม", "วันเริ่มต้น", "วันที่สมัคร",
        "начална дата", "клиент от", "дата на започване",
    ),
    "tenure": (
        "Laufzeit", "Kundendauer", "Monate",
        "ancienneté", "durée", "mois",
        "thời gian", "số tháng",
        "อายุสมาชิก", "จำนวนเดือน",
        "стаж", "месеци",
    ),
    "end": (
        "Kündigungsdatum", "Enddatum", "Vertragsende", "Kündigung", "gekündigt am", "Austrittsdatum",
        "date de résiliation", "date de fin", "résiliation", "fin de contrat", "date de départ",
        "ngày kết thúc", "ngày hủy", "ngày chấm dứt",
        "วันที่ยกเลิก", "วันสิ้นสุด",
        "дата на прекратяване", "крайна дата",
    ),
    "status": (
        "Status", "Kundenstatus", "Zustand",
        "statut", "état",
        "trạng thái", "tình trạng",
        "สถานะ",
        "статус", "състояние",
    ),
    "potential": (
        "Potenzial", "Potential", "Umsatzpotenzial",
        "potentiel", "potentiel de CA",
        "tiềm năng", "doanh thu tiềm năng",
        "ศักยภาพ",
        "потенциал",
    ),
    "segment": (
        "Kundengruppe", "Branche", "Region",
        "groupe", "secteur", "région",
        "phân khúc", "nhóm", "ngành", "khu vực",
        "กลุ่มลูกค้า", "กลุ่ม", "ภูมิภาค",
        "сегмент", "група", "регион",
    ),
    "gross_margin": (
        "Bruttomarge", "Marge", "Rohertragsmarge",
        "marge brute", "marge", "taux de marge",
        "biên lợi nhuận gộp", "tỷ suất lợi nhuận gộp", "biên lợi nhuận",
        "อัตรากำไรขั้นต้น", "กำไรขั้นต้น",
        "брутен марж", "марж",
    ),
    "churn_risk": (
        "Abwanderungsrisiko", "Kündigungsrisiko",
        "risque de départ", "risque d'attrition", "risque de churn",
        "rủi ro rời bỏ", "nguy cơ rời bỏ",
        "ความเสี่ยงยกเลิก",
        "риск от отпадане",
    ),
}  # fmt: skip

TRANSACTIONS: dict[str, tuple[str, ...]] = {
    "customer_id": _IDS,
    "name": CUSTOMERS["name"],
    "owner": CUSTOMERS["owner"],
    "date": (
        "Datum", "Bestelldatum", "Rechnungsdatum", "Kaufdatum",
        "date de commande", "date d'achat", "date de facture",
        "ngày", "ngày mua", "ngày đặt hàng", "ngày hóa đơn",
        "วันที่", "วันที่ซื้อ", "วันที่สั่งซื้อ",
        "дата", "дата на поръчка", "дата на покупка",
    ),
    "amount": (
        "Betrag", "Rechnungsbetrag", "Wert",
        "montant", "montant TTC", "montant HT",
        "số tiền", "thành tiền", "giá trị",
        "จำนวนเงิน", "ยอดเงิน", "ยอดซื้อ",
        "сума", "стойност",
    ),
}  # fmt: skip

COHORTS: dict[str, tuple[str, ...]] = {
    "cohort": ("Kohorte", "cohorte", "đoàn hệ", "รุ่น", "кохорта"),
    "period": (
        "Periode",
        "Monat",
        "Jahr",
        "période",
        "mois",
        "année",
        "kỳ",
        "tháng",
        "năm",
        "งวด",
        "เดือน",
        "ปี",
        "период",
        "месец",
        "година",
    ),
    "active": (
        "aktiv",
        "Kunden",
        "verbleibend",
        "actifs",
        "clients",
        "restants",
        "còn hoạt động",
        "số khách hàng",
        "ยังใช้งาน",
        "จำนวนลูกค้า",
        "активни",
        "клиенти",
    ),
}

BY_KIND = {"customers": CUSTOMERS, "transactions": TRANSACTIONS, "cohorts": COHORTS}

# a status column's words, compared without case or accents
ACTIVE_WORDS = (
    "aktiv", "Kunde", "laufend", "ja",
    "actif", "active", "en cours", "oui",
    "đang hoạt động", "hoạt động", "có",
    "ใช้งาน", "ใช้งานอยู่", "ปกติ",
    "активен", "активна", "да",
)  # fmt: skip
LAPSED_WORDS = (
    "gekündigt", "inaktiv", "verloren", "ehemalig", "beendet", "abgewandert", "nein",
    "résilié", "résiliée", "inactif", "inactive", "perdu", "ancien", "parti", "annulé", "terminé", "non",
    "đã hủy", "ngừng", "ngừng hoạt động", "đã rời", "không",
    "ยกเลิก", "ยกเลิกแล้ว", "หยุดใช้งาน", "ไม่ใช้งาน",
    "прекратен", "неактивен", "напуснал", "загубен", "не",
)  # fmt: skip
PROSPECT_WORDS = (
    "Interessent", "Lead", "potenzieller Kunde",
    "prospect", "piste",
    "tiềm năng", "khách hàng tiềm năng",
    "ลูกค้าเป้าหมาย", "ผู้สนใจ",
    "потенциален клиент",
)  # fmt: skip
