'use strict';
// The names a feature is generated with, derived from its kebab-case name, and the rules a name must meet.
const { strings } = require('@angular-devkit/schematics');

const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

// JavaScript and TypeScript reserved words (strict mode and contextual ones that confuse tooling).
const RESERVED_WORDS = `
  abstract any arguments as async await boolean break case catch class const constructor continue
  debugger declare default delete do else enum eval export extends false finally for from function get
  if implements import in infer instanceof interface is keyof let module namespace never new null number
  object of package private protected prototype public readonly require return set static string super
  switch symbol this throw true try type typeof undefined unique unknown var void while with yield
`;

// Names that would clash with keel's own folders, routes or words (DESIGN.md "Layout", "Public surface").
const RESERVED_NAMES = `
  admin admin-ui ai all api app auth bench common config context core database dist docker docs
  events feature features health http index lib lifecycle logging main metrics node-modules platform
  redis scheduling schematics scripts shared src support test tests v1 webhooks worker
`;

const RESERVED = new Set(`${RESERVED_WORDS} ${RESERVED_NAMES}`.split(/\s+/).filter(Boolean));

// Singular of the last word of a kebab-case name: gift-cards -> gift-card, categories -> category.
const UNCOUNTABLE = new Set(['news', 'series', 'species', 'status', 'data', 'media', 'analytics', 'settings']);
function singular(word) {
  if (UNCOUNTABLE.has(word) || word.length < 3) return word;
  if (/[^aeiou]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (/(ss|us|is)$/.test(word)) return word;
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** Throws `refuse(message)` unless `name` is a kebab-case name keel can use for a feature. */
function checkName(name, refuse) {
  if (typeof name !== 'string' || name.length === 0) {
    throw refuse('A feature name is required: nest g feature <name>, e.g. nest g feature gift-cards.');
  }
  if (!NAME_PATTERN.test(name)) {
    throw refuse(
      `Invalid feature name '${name}': use kebab-case, lower-case letters and digits in words separated by ` +
        `single hyphens, starting with a letter (e.g. gift-cards, orders, loyalty-points).`,
    );
  }
  if (name.length > 40) throw refuse(`Invalid feature name '${name}': at most 40 characters.`);
  if (RESERVED.has(name)) {
    throw refuse(
      `Invalid feature name '${name}': it is reserved (a JavaScript/TypeScript keyword or a name keel ` +
        `already uses for its own folders and routes). Choose another name.`,
    );
  }
}

/** Everything the templates need, from the feature's kebab-case name. */
function namesOf(name) {
  const words = name.split('-');
  const entity = [...words.slice(0, -1), singular(words[words.length - 1])].join('-');
  return {
    name,
    Names: strings.classify(name),
    namesText: words.join(' '),
    entity,
    Entity: strings.classify(entity),
    entityText: entity.split('-').join(' '),
    ENTITY: strings.underscore(entity).toUpperCase(),
    collection: strings.underscore(name),
    subscriber: `${name}.handlers`,
  };
}

/** The identifiers the generated code declares from the feature's name. */
function declaredIdentifiers(n) {
  return [
    `${n.Names}Module`,
    `${n.Names}Controller`,
    `${n.Names}Service`,
    `${n.Names}Repository`,
    `${n.Names}Handlers`,
    `${n.Names}Events`,
    `${n.Names}EventsRecorder`,
    `${n.Names}EventsRecorderModule`,
    `List${n.Names}Query`,
    n.Entity,
    `${n.Entity}Doc`,
    `${n.Entity}Dto`,
    `${n.Entity}PageDto`,
    `Create${n.Entity}Dto`,
    `Update${n.Entity}Dto`,
    `${n.Entity}Schema`,
    `${n.ENTITY}_MODEL`,
    `${n.Entity}CreatedPayload`,
    `${n.Entity}UpdatedPayload`,
    `${n.Entity}DeletedPayload`,
    `to${n.Entity}Dto`,
  ];
}

module.exports = { NAME_PATTERN, RESERVED, checkName, namesOf, declaredIdentifiers, singular };
