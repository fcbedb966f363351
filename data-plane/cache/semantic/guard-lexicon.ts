/** Word lists for the entity/number/negation guard (see guard.ts). Lowercase. */

/** Words that start prompts capitalized without being names (question words, imperatives, pronouns). */
export const COMMON_STARTERS: ReadonlySet<string> = new Set(
  (
    "a an the this that these those there here it its i i'm i'd i've my me we our us you your he she they them " +
    "his her their what what's whats which who whom whose when where why how is are was were be been am do does " +
    'did done can could would should will shall may might must have has had please kindly hi hello hey ok okay so ' +
    'and or but if then also now just tell give show write explain describe list summarize summarise translate ' +
    'find make create generate help compare define name suggest recommend provide convert calculate compute ' +
    "check fix rewrite draft outline plan teach let lets let's any some all each every no not yes in on at for " +
    "from to of with about by as into over after before during between why's how's where's who's is it " +
    'should could would can will does do did are was were quick short brief simple best good great new old'
  ).split(/\s+/),
);

/** Negation markers; all count as one kind ("isn't" and "is not" are the same negation). */
export const NEGATIONS: ReadonlySet<string> = new Set([
  'not',
  "n't",
  'no',
  'never',
  'without',
  'none',
  'nobody',
  'nothing',
  'nowhere',
  'neither',
  'nor',
  'cannot',
]);

export const NUMBER_WORDS: Readonly<Record<string, number>> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  thousand: 1000,
  million: 1_000_000,
  billion: 1_000_000_000,
  dozen: 12,
  half: 0.5,
  once: 1,
  twice: 2,
  single: 1,
  double: 2,
  triple: 3,
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
};

/** Calendar and relative-date words: "today" must not answer "tomorrow". */
export const DATE_WORDS: ReadonlySet<string> = new Set(
  // "may", "march", "sat", "sun", "wed", "fall", "spring" are left out: as common words they would
  // block paraphrases; capitalized mid-sentence they are caught as entities anyway.
  (
    'january february april june july august september october november december ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec ' +
    'monday tuesday wednesday thursday friday saturday sunday tue tues thu thur thurs fri ' +
    'today tomorrow yesterday tonight morning afternoon evening night weekend weekday summer autumn winter'
  ).split(/\s+/),
);

/** Words that turn the following period into a date reference ("next week", "last year"). */
export const RELATIVE_DATE_MODIFIERS: ReadonlySet<string> = new Set([
  'next',
  'last',
  'previous',
  'this',
  'coming',
  'past',
]);
export const PERIOD_WORDS: ReadonlySet<string> = new Set([
  'day',
  'days',
  'week',
  'weeks',
  'month',
  'months',
  'year',
  'years',
  'quarter',
  'decade',
  'century',
]);

/**
 * Unit words recognised anywhere ("convert km to miles" ≠ "convert kg to pounds"). Single letters
 * and words with common other meanings ("in", "second") are only units right after a number.
 */
export const UNITS: ReadonlySet<string> = new Set(
  (
    'mg kg lb lbs oz ml liter liters litre litres gallon gallons tsp tbsp ' +
    'mm cm km inch inches ft feet yd yards mi mile miles ' +
    'celsius fahrenheit kelvin ms secs mins hrs ' +
    'kb mb gb tb kbps mbps gbps hz khz mhz ghz kw kwh mah ' +
    'usd eur gbp jpy inr dollars dollar euros euro yen rupees cents percent'
  ).split(/\s+/),
);

/** Words after a number that are not its unit ("2 of them", "5 and 6"). */
export const NOT_UNITS: ReadonlySet<string> = new Set(
  'of and or to the a an in on at for by with from than as is are was were be it i you we they'.split(/\s+/),
);
