"""The documents of the extraction suite: text written for these tests, about fictional municipalities."""

from __future__ import annotations

from pathlib import Path

from policyscan.testing.pdfgen import Layout, PolicyPDF, Truth

INTRO = [
    "De gemeente Lindenhoek telt ruim 1.200 vrijwilligers die zich wekelijks inzetten voor hun buren, hun vereniging of hun wijk.",
    "Deze nota beschrijft hoe wij hen de komende vier jaar ondersteunen, o.a. met een vrijwilligerspunt en een vaste contactpersoon.",
    "Het college stelt hiervoor jaarlijks € 2.500 per dorpskern beschikbaar, bovenop de bestaande subsidie m.b.t. deskundigheidsbevordering.",
    "De raad heeft op 14 jan. 2025 ingestemd met de uitgangspunten, zoals vastgelegd in art. 3 lid 2 van de Subsidieverordening Lindenhoek.",
]
HYPHENATED = [
    "Steeds meer vrijwil~|ligers combineren hun inzet met een baan en de zorg voor een familielid.",
    "Wij overleggen daarom twee keer per jaar met de zorg-|en welzijnsorganisaties over de taakverdeling.",
    "Vragen kunnen per e-mail aan het vrijwilligerspunt worden gesteld, dat ook de buurt- en dorpshuizen ondersteunt.",
    "De Stichting Welzijn Brugwaarde neemt de coördinatie van het maatjes~|project vanaf het voorjaar over.",
]
COLUMN_LEFT = [
    "In de wijk Oosterveld ontmoeten ouderen elkaar iedere dinsdag in het buurthuis De Linde.",
    "Vrijwilligers van de bezoekdienst gaan op pad bij inwoners die weinig mensen meer zien.",
    "Wie een maatje zoekt, kan zich melden bij het vrijwilligerspunt aan de Kerkstraat.",
    "Het aantal deelnemers groeide in 2024 van 40 naar bijna 90 bewoners, bijv. door de inzet van een vervoersdienst.",
    "Mantelzorgers krijgen eens per kwartaal een avond met informatie en een moment van rust.",
    "De respijtzorg wordt georganiseerd samen met de Zorgcoöperatie Veendijk en twee kerkelijke gemeenten.",
    "Daarnaast ondersteunt de gemeente drie dementievriendelijke initiatieven in de kleinere kernen.",
    "Een vrijwilliger die vastloopt, kan altijd terecht bij een professionele consulent.",
]
COLUMN_RIGHT = [
    "Sportverenigingen hebben moeite om bestuurders en trainers te vinden.",
    "Samen met de sportraad onderzoeken we hoe taken kleiner en flexibeler kunnen worden gemaakt.",
    "De harmonie, het toneelgezelschap en de historische kring draaien volledig op vrijwilligers.",
    "Voor het onderhoud van het molenerf zoekt de Molenstichting Hazelmonde nog vijf vaste krachten.",
    "De werkgroep Groen Kortewaal adopteert sinds vorig jaar drie plantsoenen langs de Dorpsweg.",
    "Afval rapen in de uiterwaarden gebeurt twee keer per jaar met leerlingen van de basisscholen.",
    "Wij willen dat vrijwilligerswerk een vrije keuze blijft en nooit betaald werk verdringt.",
    "Organisaties bepalen zelf hoe zij hun vrijwilligers werven, begeleiden en waarderen.",
]
BULLETS = [
    "Het vrijwilligerspunt is op werkdagen van 9.00 tot 12.30 uur geopend.",
    "Iedere vrijwilliger is via de gemeente verzekerd tegen ongevallen en aansprakelijkheid.",
    "Een Verklaring Omtrent het Gedrag wordt voor vrijwilligers kosteloos aangevraagd.",
]
NUMBERED = [
    "We verlagen de drempel om vrijwilligerswerk te beginnen.",
    "We versterken de ondersteuning van mantelzorgers in alle kernen.",
    "We waarderen vrijwilligers jaarlijks met een feestelijke avond in november.",
]
CLOSING = [
    "De uitvoering wordt jaarlijks geëvalueerd met de vrijwilligersorganisaties zelf.",
    "De resultaten worden gedeeld met de raad via een raadsinformatiebrief.",
    "Deze nota treedt in werking op de dag na bekendmaking.",
]
TABLE = [
    ["Onderdeel", "Budget 2025", "Budget 2026"],
    ["Vrijwilligerspunt", "€ 48.000", "€ 49.500"],
    ["Waardering", "€ 6.000", "€ 6.000"],
    ["Mantelzorg", "€ 31.000", "€ 33.000"],
]


def policy_document(path: Path) -> Truth:
    """A several-page nota with every layout feature of the extraction suite."""
    doc = PolicyPDF(Layout(columns=1), header="Nota vrijwilligersbeleid 2025-2028", footer="Gemeente Lindenhoek")
    doc.heading("1 Inleiding")
    doc.paragraph(*INTRO)
    doc.heading("1.1 Wat verandert er")
    doc.paragraph(*HYPHENATED[:2])
    doc.paragraph(*HYPHENATED[2:])
    doc.heading("1.2 Afspraken op een rij", level=2)
    doc.bullets(BULLETS)
    doc.paragraph("Voor de komende periode kiezen wij drie speerpunten.")
    doc.bullets(NUMBERED, numbered=True)
    doc.heading("1.3 Middelen", level=2)
    doc.table(TABLE)
    doc.paragraph(*CLOSING[:1])
    doc.image_page()
    doc.layout.columns = 2
    doc.page_break()
    doc.heading("2 Ontmoeting en zorg")
    doc.paragraph(*COLUMN_LEFT[:4])
    doc.paragraph(*COLUMN_LEFT[4:])
    doc.heading("3 Sport, cultuur en groen")
    doc.paragraph(*COLUMN_RIGHT[:4])
    doc.paragraph(*COLUMN_RIGHT[4:])
    doc.heading("4 Tot slot")
    doc.paragraph(*CLOSING[1:])
    doc.output(path)
    return doc.truth


def short_document(path: Path) -> Truth:
    """A one-page letter with a running header and footer: no repetition to learn from."""
    doc = PolicyPDF(Layout(columns=1), header="Raadsinformatiebrief gemeente Brugwaarde", footer="Kenmerk RIB-2025-014")
    doc.heading("Stand van zaken maatjesproject")
    doc.paragraph(
        "Het college informeert u over de voortgang van het maatjesproject in Brugwaarde.",
        "Sinds de start in sept. 2024 zijn 46 koppelingen gemaakt tussen vrijwilligers en inwoners die zich eenzaam voelen.",
        "De Stichting Naoberzorg verwacht dat dit aantal in 2025 verder groeit.",
    )
    doc.output(path)
    return doc.truth


def image_only_document(path: Path) -> None:
    """A scanned-looking PDF: pages with images and no text at all."""
    doc = PolicyPDF(Layout(), page_numbers=False)
    doc.image_page(seed=3)
    doc.output(path)


LONELY = [
    "Het maatjesproject koppelt vrijwilligers aan inwoners die zich eenzaam voelen.",
    "Vrijwilligers van de bezoekdienst gaan wekelijks op bezoek bij ouderen die weinig contacten hebben.",
]
CARE = [
    "Mantelzorgers kunnen bij het steunpunt terecht voor respijtzorg, zodat zij de zorg voor hun partner langer volhouden.",
    "Omdat de gemeente moet bezuinigen op de thuiszorg, rekenen we voor de boodschappen van ouderen voortaan op vrijwilligers.",
]
SPORT = [
    "De voetbalvereniging zoekt vrijwillige trainers voor de jeugdteams.",
    "Sportclubs krijgen ondersteuning bij het werven van bestuursleden.",
]
PROCEDURE = [
    "Aanvragen voor subsidie moeten voor 1 oktober bij het college zijn ingediend.",
    "Het college stelt de verantwoordingsformulieren vast.",
]
HOSTILE = [
    "=SOM(A1:A9) telt de koppelingen van het maatjesproject tegen eenzaamheid, en dat zijn er nu veertig.",
    'Een inwoner schreef "<script>alert(1)</script>" in het formulier van het maatjesproject tegen eenzaamheid.',
]


def scan_corpus(root: Path) -> dict[str, Path]:
    """A small corpus: PDFs in municipality folders, a text file, a manifest with a formula-like title, and bad files."""
    lind = PolicyPDF(Layout(columns=2), header="Nota vrijwilligersbeleid Lindenhoek", footer="Gemeente Lindenhoek")
    lind.heading("1 Ontmoeting")
    lind.paragraph(*LONELY)
    lind.heading("2 Zorg")
    lind.paragraph(*CARE)
    lind.paragraph(*PROCEDURE)
    lind.output(root / "Lindenhoek" / "nota.pdf")
    brug = PolicyPDF(Layout(), header="Uitvoeringsprogramma Brugwaarde", footer="Gemeente Brugwaarde")
    brug.heading("1 Sport")
    brug.paragraph(*SPORT)
    brug.paragraph(PROCEDURE[0])
    brug.output(root / "Brugwaarde" / "programma.pdf")
    (root / "Veendijk").mkdir(parents=True, exist_ok=True)
    (root / "Veendijk" / "notitie.txt").write_text(
        "Notitie\n\n" + " ".join(HOSTILE) + "\n\n" + " ".join(LONELY[:1]) + "\n", encoding="utf-8"
    )
    image_only_document(root / "Lindenhoek" / "scan.pdf")
    (root / "Brugwaarde" / "kapot.pdf").write_bytes(b"%PDF-1.4\n% niets bruikbaars\n")
    manifest = root / "manifest.csv"
    manifest.write_text(
        "path,municipality,code,year,title\n"
        "Lindenhoek/nota.pdf,Gemeente Lindenhoek,GM9901,2025,Nota vrijwilligersbeleid\n"
        'Brugwaarde/programma.pdf,BRUGWAARDE,GM9902,2024,=HYPERLINK("http://x")\n',
        encoding="utf-8",
    )
    return {"root": root, "manifest": manifest}
