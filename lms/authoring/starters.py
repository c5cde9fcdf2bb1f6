"""Starting texts for new items, modules and courses: Russian, and each lints clean as it is.

The titles and ids are filled in (titles through `yaml_scalar`, so any text is safe); everything
else is a worked example the author overwrites. A test lints every template in a real tree.
"""

from __future__ import annotations

from lms.authoring.frontmatter_edit import yaml_scalar

ITEM_KINDS = ("lesson", "quiz", "scenario", "assignment", "survey")

_LESSON = """---
id: {id}
title: {title}
minutes: 5
summary: Коротко о том, чему учит урок
---
## Зачем это нужно

Напишите здесь, что кандидат узнает из урока и что сможет сделать после него.

## Что сделать

1. Первый шаг.
2. Второй шаг.

!!! tip "Совет"
    Короткий совет из практики штаба.
"""

_QUIZ = """---
id: {id}
title: {title}
type: quiz
pass_mark: 70
---
Короткое введение к проверке: что она проверяет и сколько вопросов.

## vopros-1 [single]
Вопрос с одним верным ответом?

- [x] verno: Верный ответ
  > Почему этот ответ верен.
- [ ] neverno: Неверный ответ
  > Почему этот ответ неверен.

### Пояснение
Общее пояснение, которое кандидат увидит после ответа.

## vopros-2 [truefalse]
Утверждение, которое нужно оценить: верно оно или нет.

= верно
"""

_SCENARIO = """---
id: {id}
title: {title}
type: scenario
competencies:
  listening: Умение слушать
---
Где происходит разговор и что нужно сделать.

## nachalo
**Житель**: «Здравствуйте. Что вы хотели?»

- Представиться и спросить, удобно ли сейчас говорить → uspeh {{listening: +1}}
  > Хорошее начало: вы уважаете время собеседника.
- Сразу начать рассказывать о программе → otkaz {{listening: -1}}
  > Житель не успел сказать ни слова.

## uspeh [ending good]
Разговор получился: вы представились и дали собеседнику выбор.

## otkaz [ending]
Житель закрыл дверь. Сильный ответ: представиться и спросить, удобно ли говорить.
"""

_ASSIGNMENT = """---
id: {id}
title: {title}
type: assignment
pass_points: 3
---
Опишите задание: что сделать, в каком виде сдать и к какому сроку.

## Критерии оценивания

### polnota: Полнота
- 0: Ответа нет или он не по теме
- 2: Основные пункты есть, но без примеров
- 4: Все пункты раскрыты, есть примеры из практики
"""

# Feedback after a seminar day: anonymous (results only for groups of 5 or more), one required
# question, no personal data asked for; one question of each type the survey format has.
_SURVEY = """---
id: {id}
title: {title}
type: survey
anonymous: true
minutes: 3
---
Спасибо, что были на семинаре! Несколько вопросов помогут организаторам сделать следующие занятия
полезнее. Это займёт около трёх минут.

Опрос анонимный: ответы не связаны с вашим именем, а организаторы видят только сводку по группам
не меньше пяти человек. Обязателен только первый вопрос, остальные — по желанию.

## seminar-v-celom [scale]
Как вы в целом оцениваете семинар?

- 1: Совсем не понравился
- 5: Очень понравился

## samoe-poleznoe [single, optional]
Что было для вас самым полезным?

- vystupleniya: Выступления экспертов
- praktika: Практические задания и разбор случаев
- obmen-opytom: Обмен опытом с коллегами из других регионов

## temy [multiple]
О каких темах вы хотели бы узнать больше? Отметьте все подходящие.

- zakonodatelstvo: Избирательное законодательство
- rabota-s-izbiratelyami: Работа с избирателями
- cifrovye-servisy: Цифровые сервисы партии
- finansy: Финансирование кампании

## predlozheniya [text]
Что нам стоит изменить или добавить? Пожалуйста, не пишите здесь имён и других личных данных —
ни своих, ни чужих.
"""

_ITEMS = {
    "lesson": _LESSON,
    "quiz": _QUIZ,
    "scenario": _SCENARIO,
    "assignment": _ASSIGNMENT,
    "survey": _SURVEY,
}

_MODULE = """---
id: {id}
title: {title}
summary: Коротко о модуле
items:
  - {first}
---
Короткое описание модуля: чему он учит и в каком порядке.
"""

_COURSE = """---
id: {id}
title: {title}
summary: Короткое описание курса для каталога
modules:
  - {first}
---
Введение в курс: для кого он, что даст и как устроен.
"""


def item_text(kind: str, key: str, title: str) -> str:
    """A new item file of `kind` (lesson, quiz, scenario, assignment, survey)."""
    return _ITEMS[kind].format(id=key, title=yaml_scalar(title))


def module_text(key: str, title: str, first_item: str) -> str:
    """A new module.md listing its first item."""
    return _MODULE.format(id=key, title=yaml_scalar(title), first=yaml_scalar(first_item))


def course_text(key: str, title: str, first_module: str) -> str:
    """A new course.md listing its first module."""
    return _COURSE.format(id=key, title=yaml_scalar(title), first=yaml_scalar(first_module))
