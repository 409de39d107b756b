# ruff: noqa: RUF001, E501 - the Russian and Ukrainian templates are Cyrillic on purpose, one step a line
"""The offline planner's words: goal-shape keywords, step templates and clarifying questions in
en, ru and uk.

A goal's shape is found by keyword stems (a token of the goal starting with a stem, or a phrase
found in it). Each template step is (title, description, weight, basic): the title starts with
a verb (en: the imperative; ru and uk: the infinitive, as to-do lists are written there),
`{goal}` is the person's goal as they wrote it, `weight` shares the time available, `basic`
steps are left out for an expert. These are templates, not AI: plans say `provider: "rules"`.
"""

from __future__ import annotations

from typing import NamedTuple


class Step(NamedTuple):
    title: str
    description: str
    weight: int
    basic: bool = False


SHAPES = ("exam", "document", "learn", "build", "routine", "organise")  # ties: earlier wins

KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "learn": (
            "learn", "study", "master", "practice", "practise", "speak", "spanish", "english",
            "french", "german", "italian", "chinese", "japanese", "language", "python", "guitar",
            "piano", "coding", "programming", "drawing", "skill",
        ),
        "document": (
            "write", "thesis", "report", "essay", "article", "paper", "book", "dissertation",
            "blog", "cv", "resume", "proposal", "documentation", "draft", "novel",
        ),
        "exam": (
            "exam", "test", "interview", "prepare", "presentation", "talk", "conference",
            "wedding", "marathon", "trip", "event", "party", "ielts", "toefl", "certification",
            "birthday", "holiday", "vacation",
        ),
        "build": (
            "build", "make", "create", "develop", "app", "website", "site", "garden", "repair",
            "fix", "renovate", "launch", "startup", "shed", "furniture", "bake",
        ),
        "routine": (
            "fit", "exercise", "running", "sleep", "eat", "diet", "habit", "quit", "meditat",
            "wake", "healthier", "health", "weight", "routine", "gym", "smoking", "stop",
        ),
        "organise": (
            "organise", "organize", "move", "moving", "clean", "declutter", "tidy", "relocate",
            "sort", "arrange", "pack", "finances", "budget",
        ),
    },
    "ru": {
        "learn": (
            "выучи", "учить", "изучи", "изучать", "освоить", "освои", "научит", "английск",
            "испанск", "немецк", "французск", "китайск", "язык", "программирова", "гитар",
            "пианино", "рисова", "python", "навык",
        ),
        "document": (
            "написать", "напиши", "дописать", "диплом", "диссертац", "курсов", "отчёт", "отчет",
            "статью", "статьи", "статей", "статья", "книг", "эссе", "резюме", "документ", "реферат", "тезис", "роман",
        ),
        "exam": (
            "экзамен", "сесси", "егэ", "огэ", "зачёт", "зачет", "собеседован", "подготов",
            "выступлен", "презентац", "конференц", "свадьб", "марафон", "поездк", "отпуск",
            "праздник", "рождения", "iel",
        ),
        "build": (
            "сделать", "построить", "постро", "создать", "созда", "разработ", "сайт",
            "приложени", "ремонт", "почини", "собрать", "запусти", "смастер", "сад",
        ),
        "routine": (
            "похуде", "спорт", "форм", "бегать", "бег", "зарядк", "спать", "сон", "питани",
            "бросить", "привычк", "медитир", "вставать", "здоров", "режим", "зал", "курить",
        ),
        "organise": (
            "переезд", "переехать", "организ", "убрат", "уборк", "разобрать", "порядок",
            "упорядоч", "расхлам", "финанс", "бюджет",
        ),
    },
    "uk": {
        "learn": (
            "вивчити", "вивчи", "вчити", "освоїти", "навчит", "англійськ", "іспанськ", "німецьк",
            "французьк", "китайськ", "мов", "програмуван", "гітар", "піаніно", "малюва",
            "python", "навичк",
        ),
        "document": (
            "написати", "напиши", "дописати", "диплом", "дисертац", "курсов", "звіт", "статт",
            "книг", "есе", "резюме", "документ", "реферат", "роман",
        ),
        "exam": (
            "іспит", "екзамен", "сесі", "зно", "нмт", "залік", "співбесід", "підготу", "виступ",
            "презентац", "конференц", "весілл", "марафон", "поїздк", "відпустк", "свят",
            "народження",
        ),
        "build": (
            "зробити", "побудувати", "будува", "створити", "створ", "розроб", "сайт",
            "застосун", "додаток", "ремонт", "полагод", "зібрати", "запусти", "город",
        ),
        "routine": (
            "схудн", "спорт", "форм", "бігати", "біг", "зарядк", "спати", "сон", "харчуван",
            "кинути", "звичк", "медит", "вставати", "здоров", "режим", "зал", "палити",
        ),
        "organise": (
            "переїзд", "переїхати", "організ", "прибрат", "прибиран", "розібрати", "порядок",
            "упорядк", "розхлам", "фінанс", "бюджет",
        ),
    },
}  # fmt: skip

# Days a plan spans when the goal has no deadline.
HORIZON_DAYS = {
    "learn": 56,
    "document": 28,
    "exam": 21,
    "build": 28,
    "routine": 28,
    "organise": 14,
    "generic": 21,
}

S = Step
TEMPLATES: dict[str, dict[str, list[Step]]] = {
    "en": {
        "learn": [
            S("Define the result you want: {goal}", "Write down one concrete result that shows you got there.", 1),
            S("Choose one course or book for the basics", "Pick a single source; more sources only scatter the effort.", 1, True),
            S("Block a fixed practice slot in your week", "Put the same time on your calendar every day or week.", 1),
            S("Learn the core basics", "Go through the first units of the chosen source.", 5, True),
            S("Practise in short daily sessions", "Short, regular practice beats rare long sessions.", 8),
            S("Apply it in a small real task", "Use the skill for something real: a conversation, a piece, a small project.", 5),
            S("Review your mistakes and repeat weak spots", "Go back to what went wrong and practise exactly that.", 3),
            S("Test yourself against your goal", "Check the result you wrote down at the start.", 2),
        ],
        "document": [
            S("Define the purpose and the reader: {goal}", "One sentence: who reads it and what they should take away.", 1),
            S("Collect your sources and notes", "Gather what you already have in one place.", 3, True),
            S("Write an outline", "List the sections and one line about each.", 2),
            S("Write the first draft", "Write straight through without polishing.", 8),
            S("Revise the draft section by section", "Fix structure first, then wording.", 4),
            S("Ask someone for feedback", "Give the draft to one reader and note their questions.", 1),
            S("Proofread and format the final version", "Check spelling, references and layout.", 2),
            S("Submit or publish it", "Send it to where it has to go.", 1),
        ],
        "exam": [
            S("Find out exactly what it takes: {goal}", "Get the format, the topics and the date.", 1),
            S("List the topics and rate how well you know each", "Mark each topic as strong, weak or unknown.", 1),
            S("Make a study schedule up to the date", "Spread the weak topics over the days you have.", 1),
            S("Study the weak topics first", "Start where the most points are lost.", 8),
            S("Practise with past papers or a rehearsal", "Do it under real conditions and time it.", 5),
            S("Review your errors and fill the gaps", "Go back to every mistake of the practice.", 3),
            S("Prepare everything you need for the day", "Documents, materials, route and a good night's sleep.", 1),
        ],
        "build": [
            S("Describe the result you want: {goal}", "Write the few features or properties it must have.", 1),
            S("Choose the tools and materials", "Pick what you will build it with and what is missing.", 1, True),
            S("Sketch a plan of the parts", "Split the work into parts you can finish one by one.", 2),
            S("Build the first working version", "Make the smallest version that works end to end.", 8),
            S("Test it and list the problems", "Try it as a user would and write down what fails.", 2),
            S("Fix the problems and finish the details", "Work through the list, most important first.", 5),
            S("Show or hand over the result", "Share it with the people it is for.", 1),
        ],
        "routine": [
            S("Define the new routine: {goal}", "Say what you do, when, and how often, in one sentence.", 1),
            S("Record your starting point", "Measure where you are today so progress shows.", 1),
            S("Remove one obstacle from your environment", "Prepare things so the new routine is the easy choice.", 1),
            S("Start with a small daily version", "Begin so small that you cannot skip it.", 6),
            S("Track every day you keep the routine", "Mark each day; a streak keeps you going.", 2),
            S("Increase the effort step by step", "Add a little each week once the habit holds.", 6),
            S("Review your progress and adjust the plan", "Compare with your starting point and change what does not work.", 1),
        ],
        "organise": [
            S("Decide what the end state is: {goal}", "Describe the end state you want.", 1),
            S("List everything that has to be sorted out", "Walk through every room, folder or item.", 2),
            S("Set dates for each part", "Put every part on the calendar before the deadline.", 1),
            S("Get rid of what you no longer need", "Sell, give away or throw away.", 4),
            S("Pack or arrange the rest by group", "Keep similar things together and label them.", 5),
            S("Handle the paperwork and addresses", "Contracts, registrations and changes of address.", 2),
            S("Check that nothing is left behind", "Walk through the list once more.", 1),
        ],
        "generic": [
            S("Define what “done” means: {goal}", "Write one sentence that describes the finished result.", 1),
            S("List what you need to get there", "Time, people, money, materials, knowledge.", 1),
            S("Split the work into parts", "Each part should fit into one sitting.", 1),
            S("Do the first part", "Start with the part that unblocks the others.", 5),
            S("Do the remaining parts", "One at a time, in order.", 8),
            S("Review the result against your definition", "Compare it with the sentence you wrote first.", 2),
        ],
    },
    "ru": {
        "learn": [
            S("Определить, что вы хотите уметь: {goal}", "Запишите один конкретный результат, который покажет, что цель достигнута.", 1),
            S("Выбрать один курс или учебник для основ", "Один источник: несколько источников только распыляют силы.", 1, True),
            S("Закрепить постоянное время для занятий", "Поставьте в календарь одно и то же время каждый день или неделю.", 1),
            S("Изучить базовые основы", "Пройдите первые разделы выбранного источника.", 5, True),
            S("Заниматься короткими ежедневными сессиями", "Короткие регулярные занятия лучше редких долгих.", 8),
            S("Применить навык в небольшой реальной задаче", "Используйте навык по-настоящему: разговор, работа, маленький проект.", 5),
            S("Разобрать ошибки и повторить слабые места", "Вернитесь к тому, что не получилось, и потренируйте именно это.", 3),
            S("Проверить себя по поставленной цели", "Сравните с результатом, который записали в начале.", 2),
        ],
        "document": [
            S("Определить цель и читателя: {goal}", "Одно предложение: кто прочтёт и что должен вынести.", 1),
            S("Собрать источники и заметки", "Сложите всё, что уже есть, в одно место.", 3, True),
            S("Составить план текста", "Перечислите разделы и по строчке о каждом.", 2),
            S("Написать черновик", "Пишите подряд, не шлифуя.", 8),
            S("Переработать черновик по разделам", "Сначала структура, потом формулировки.", 4),
            S("Попросить кого-то дать отзыв", "Дайте черновик одному читателю и запишите его вопросы.", 1),
            S("Вычитать и оформить итоговую версию", "Проверьте орфографию, ссылки и оформление.", 2),
            S("Сдать или опубликовать работу", "Отправьте туда, куда нужно.", 1),
        ],
        "exam": [
            S("Выяснить, что именно требуется: {goal}", "Узнайте формат, темы и дату.", 1),
            S("Составить список тем и оценить свои знания", "Отметьте каждую тему: знаю, слабо, не знаю.", 1),
            S("Составить график подготовки до даты", "Распределите слабые темы по оставшимся дням.", 1),
            S("Проработать сначала слабые темы", "Начните с того, где теряется больше всего баллов.", 8),
            S("Потренироваться на прошлых вариантах или репетиции", "В настоящих условиях и на время.", 5),
            S("Разобрать ошибки и закрыть пробелы", "Вернитесь к каждой ошибке тренировки.", 3),
            S("Подготовить всё необходимое к этому дню", "Документы, материалы, дорогу и хороший сон.", 1),
        ],
        "build": [
            S("Описать, что должно получиться: {goal}", "Запишите несколько свойств, которые обязательно нужны.", 1),
            S("Выбрать инструменты и материалы", "Решите, из чего и чем делать, и чего не хватает.", 1, True),
            S("Набросать план из частей", "Разбейте работу на части, которые можно закончить по одной.", 2),
            S("Сделать первую работающую версию", "Самую простую версию, которая работает целиком.", 8),
            S("Проверить результат и записать проблемы", "Попробуйте как пользователь и запишите, что не так.", 2),
            S("Исправить проблемы и доделать детали", "Идите по списку, начиная с важного.", 5),
            S("Показать или передать результат", "Поделитесь с теми, для кого это делалось.", 1),
        ],
        "routine": [
            S("Определить новую привычку: {goal}", "Одним предложением: что, когда и как часто.", 1),
            S("Записать исходную точку", "Измерьте, где вы сегодня, чтобы был виден прогресс.", 1),
            S("Убрать одно препятствие из окружения", "Подготовьте всё так, чтобы новая привычка была самым простым выбором.", 1),
            S("Начать с маленькой ежедневной версии", "Начните так мало, чтобы нельзя было пропустить.", 6),
            S("Отмечать каждый день выполнения", "Отмечайте каждый день: серия помогает держаться.", 2),
            S("Увеличивать нагрузку постепенно", "Добавляйте понемногу каждую неделю, когда привычка держится.", 6),
            S("Оценить прогресс и скорректировать план", "Сравните с исходной точкой и измените то, что не работает.", 1),
        ],
        "organise": [
            S("Решить, как выглядит результат: {goal}", "Опишите конечное состояние.", 1),
            S("Составить список всего, что нужно разобрать", "Пройдите по каждой комнате, папке или вещи.", 2),
            S("Назначить даты для каждой части", "Поставьте каждую часть в календарь до срока.", 1),
            S("Избавиться от ненужного", "Продайте, отдайте или выбросьте.", 4),
            S("Упаковать или разложить остальное по группам", "Держите похожее вместе и подпишите.", 5),
            S("Оформить документы и адреса", "Договоры, регистрации, смена адреса.", 2),
            S("Проверить, что ничего не забыто", "Пройдите по списку ещё раз.", 1),
        ],
        "generic": [
            S("Определить, что значит «готово»: {goal}", "Запишите одно предложение о конечном результате.", 1),
            S("Перечислить, что нужно для цели", "Время, люди, деньги, материалы, знания.", 1),
            S("Разбить работу на части", "Каждая часть должна помещаться в один подход.", 1),
            S("Выполнить первую часть", "Начните с той, что открывает путь остальным.", 5),
            S("Выполнить остальные части", "По одной, по порядку.", 8),
            S("Сверить результат с определением", "Сравните с предложением, которое записали первым.", 2),
        ],
    },
    "uk": {
        "learn": [
            S("Визначити, що ви хочете вміти: {goal}", "Запишіть один конкретний результат, який покаже, що мету досягнуто.", 1),
            S("Обрати один курс або підручник для основ", "Одне джерело: кілька джерел лише розпорошують сили.", 1, True),
            S("Закріпити сталий час для занять", "Поставте в календар той самий час щодня або щотижня.", 1),
            S("Вивчити базові основи", "Пройдіть перші розділи обраного джерела.", 5, True),
            S("Займатися короткими щоденними сесіями", "Короткі регулярні заняття кращі за рідкі довгі.", 8),
            S("Застосувати навичку в невеликому реальному завданні", "Використайте навичку насправді: розмова, робота, маленький проєкт.", 5),
            S("Розібрати помилки та повторити слабкі місця", "Поверніться до того, що не вдалося, і потренуйте саме це.", 3),
            S("Перевірити себе за поставленою метою", "Порівняйте з результатом, який записали на початку.", 2),
        ],
        "document": [
            S("Визначити мету й читача: {goal}", "Одне речення: хто прочитає і що має винести.", 1),
            S("Зібрати джерела та нотатки", "Складіть усе, що вже є, в одне місце.", 3, True),
            S("Скласти план тексту", "Перелічіть розділи й по рядку про кожен.", 2),
            S("Написати чернетку", "Пишіть поспіль, не шліфуючи.", 8),
            S("Переробити чернетку за розділами", "Спершу структура, потім формулювання.", 4),
            S("Попросити когось дати відгук", "Дайте чернетку одному читачеві й запишіть його питання.", 1),
            S("Вичитати й оформити підсумкову версію", "Перевірте правопис, посилання й оформлення.", 2),
            S("Здати або опублікувати роботу", "Надішліть туди, куди потрібно.", 1),
        ],
        "exam": [
            S("З'ясувати, що саме потрібно: {goal}", "Дізнайтеся формат, теми й дату.", 1),
            S("Скласти список тем і оцінити свої знання", "Позначте кожну тему: знаю, слабко, не знаю.", 1),
            S("Скласти графік підготовки до дати", "Розподіліть слабкі теми на дні, що лишилися.", 1),
            S("Опрацювати спершу слабкі теми", "Почніть з того, де втрачається найбільше балів.", 8),
            S("Потренуватися на минулих варіантах або репетиції", "У справжніх умовах і на час.", 5),
            S("Розібрати помилки й закрити прогалини", "Поверніться до кожної помилки тренування.", 3),
            S("Підготувати все необхідне до цього дня", "Документи, матеріали, дорогу й добрий сон.", 1),
        ],
        "build": [
            S("Описати, що має вийти: {goal}", "Запишіть кілька властивостей, які обов'язково потрібні.", 1),
            S("Обрати інструменти й матеріали", "Вирішіть, з чого й чим робити, і чого бракує.", 1, True),
            S("Накреслити план із частин", "Розбийте роботу на частини, які можна закінчити по одній.", 2),
            S("Зробити першу робочу версію", "Найпростішу версію, яка працює цілком.", 8),
            S("Перевірити результат і записати проблеми", "Спробуйте як користувач і запишіть, що не так.", 2),
            S("Виправити проблеми й доробити деталі", "Йдіть за списком, починаючи з важливого.", 5),
            S("Показати або передати результат", "Поділіться з тими, для кого це робилося.", 1),
        ],
        "routine": [
            S("Визначити нову звичку: {goal}", "Одним реченням: що, коли й як часто.", 1),
            S("Записати вихідну точку", "Виміряйте, де ви сьогодні, щоб було видно поступ.", 1),
            S("Прибрати одну перешкоду з оточення", "Підготуйте все так, щоб нова звичка була найпростішим вибором.", 1),
            S("Почати з маленької щоденної версії", "Почніть так мало, щоб не можна було пропустити.", 6),
            S("Відзначати кожен день виконання", "Позначайте кожен день: серія допомагає триматися.", 2),
            S("Збільшувати навантаження поступово", "Додавайте потроху щотижня, коли звичка тримається.", 6),
            S("Оцінити поступ і скоригувати план", "Порівняйте з вихідною точкою й змініть те, що не працює.", 1),
        ],
        "organise": [
            S("Вирішити, який вигляд має результат: {goal}", "Опишіть кінцевий стан.", 1),
            S("Скласти список усього, що треба розібрати", "Пройдіть кожну кімнату, теку чи річ.", 2),
            S("Призначити дати для кожної частини", "Поставте кожну частину в календар до терміну.", 1),
            S("Позбутися непотрібного", "Продайте, віддайте або викиньте.", 4),
            S("Спакувати або розкласти решту за групами", "Тримайте схоже разом і підпишіть.", 5),
            S("Оформити документи й адреси", "Договори, реєстрації, зміна адреси.", 2),
            S("Перевірити, що нічого не забуто", "Пройдіть за списком ще раз.", 1),
        ],
        "generic": [
            S("Визначити, що означає «готово»: {goal}", "Запишіть одне речення про кінцевий результат.", 1),
            S("Перелічити, що потрібно для мети", "Час, люди, гроші, матеріали, знання.", 1),
            S("Розбити роботу на частини", "Кожна частина має вміщатися в один підхід.", 1),
            S("Виконати першу частину", "Почніть з тієї, що відкриває шлях іншим.", 5),
            S("Виконати решту частин", "По одній, по порядку.", 8),
            S("Звірити результат із визначенням", "Порівняйте з реченням, яке записали першим.", 2),
        ],
    },
}  # fmt: skip

# A finer breakdown of one step: `{step}` is the step's title.
BREAKDOWN: dict[str, list[Step]] = {
    "en": [
        S("Clarify what “{step}” needs", "Write down the result of this step and what it takes.", 1),
        S("Prepare what you need for it", "Gather materials, information or people.", 1),
        S("Do the main part of the step", "Work on it in one or two focused sessions.", 4),
        S("Check the result and note what is left", "Compare with what you wrote first.", 1),
    ],
    "ru": [
        S("Уточнить, что нужно для шага «{step}»", "Запишите результат шага и что для него требуется.", 1),
        S("Подготовить всё необходимое", "Соберите материалы, сведения или людей.", 1),
        S("Выполнить основную часть шага", "Поработайте над ним за один-два сосредоточенных подхода.", 4),
        S("Проверить результат и записать остаток", "Сравните с тем, что записали вначале.", 1),
    ],
    "uk": [
        S("Уточнити, що потрібно для кроку «{step}»", "Запишіть результат кроку й що для нього потрібно.", 1),
        S("Підготувати все необхідне", "Зберіть матеріали, відомості чи людей.", 1),
        S("Виконати основну частину кроку", "Попрацюйте над ним за один-два зосереджені підходи.", 4),
        S("Перевірити результат і записати залишок", "Порівняйте з тим, що записали спочатку.", 1),
    ],
}  # fmt: skip

# Asked when a goal is too vague to plan (one or two words of no known shape).
QUESTIONS: dict[str, list[str]] = {
    "en": [
        "What exactly do you want to achieve: what will be different when it is done?",
        "By when do you want to reach it (a date)?",
        "How many hours a week can you give it?",
    ],
    "ru": [
        "Чего именно вы хотите достичь: что изменится, когда цель будет выполнена?",
        "К какому сроку вы хотите её достичь (дата)?",
        "Сколько часов в неделю вы готовы на неё тратить?",
    ],
    "uk": [
        "Чого саме ви хочете досягти: що зміниться, коли мету буде виконано?",
        "До якого терміну ви хочете її досягти (дата)?",
        "Скільки годин на тиждень ви готові на неї витрачати?",
    ],
}
