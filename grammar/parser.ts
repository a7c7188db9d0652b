import {
  CstParser,
  EOF,
  type CstNode,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import * as T from "./tokens.js";
import { describeExpected, describeToken } from "./tokens.js";

/**
 * What a missing token means in context, keyed by `rule:token`. Chevrotain knows only the token it
 * wanted; these say what the user left out, e.g. "expected `<-` after the target field".
 */
const expectations: Readonly<Record<string, string>> = {
  "field:Arrow": "expected `<-` after the target field",
  "paramEntry:Arrow": "expected `<-` after the parameter name",
  "fieldsBlock:RBrace": "expected a field line or `}`",
  "eachExpr:RBrace": "expected a field line or `}`",
  "endpointDecl:RBrace": "expected a setting or `}`",
  "endpointDecl:Name": "expected the connector name",
  "endpointDecl:StringLiteral": "expected the operation name (a string)",
  "mappingDecl:Name": "expected the mapping's name",
  "field:Name": "expected the field's type after `:`",
  "paramsSetting:RBrace": "expected a parameter or `}`",
  "checkBlock:RBrace": "expected a rule or `}`",
  "checkRule:StringLiteral": "expected the rule's message (a string)",
  "exampleDecl:RBrace": "expected `given`, `in`, `out` or `}`",
  "exampleDecl:StringLiteral": "expected the example's name (a string)",
  "file:EOF": "expected a block (`mapping`, `source`, `target`, `fields`, `check` or `example`)",
  "argList:RParen": "expected `,` or `)`",
  "object:RBrace": "expected `,` or `}`",
  "array:RBracket": "expected `,` or `]`",
  "pipeCall:RBrace": "expected `,` or `}`",
  "windowSetting:DotDot": "expected `..` between the window's start and end parameters",
  "primary:Kw_else": "expected `else` (an `if` needs both branches)",
  "rateSetting:Slash": "expected `/`, as in `rate 2/s`",
  "expression:RegexLiteral": "expected a regular expression `/…/` after `matches`",
  "binaryExpr:RegexLiteral": "expected a regular expression `/…/` after `matches`",
};

const emptyListExpectations: Readonly<Record<string, string>> = {
  "argList:RParen": "expected a value or `)`",
  "array:RBracket": "expected a value or `]`",
  "object:RBrace": "expected a key (a name, a string or a `$` operator) or `}`",
  "pipeCall:RBrace": "expected a map entry (a string, number, true, false or null, then `:` and a value) or `}`",
};

const openers = new Set<TokenType>([T.LParen, T.LBrace, T.LBracket]);

/** Readable messages in the house style; the span comes from the exception's token. */
const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    if (actual.tokenType === T.Comma && previous.tokenType === T.Comma) return "expected a value, found `,`";
    // Right after `(`, `{`, `[` or `,` an item is missing, not a separator.
    const afterOpen = previous.tokenType === T.Comma || openers.has(previous.tokenType);
    const key = `${ruleName}:${expected.name}`;
    const what =
      (afterOpen ? emptyListExpectations[key] : undefined) ??
      expectations[key] ??
      `expected ${describeExpected(expected)}`;
    return `${what}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `${expectations["file:EOF"] ?? "unexpected input"}, found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, customUserDescription }) {
    const first = actual[0];
    return `expected ${customUserDescription ?? "something else"}, found ${first ? describeToken(first) : "end of file"}`;
  },
  buildEarlyExitMessage({ actual, customUserDescription }) {
    const first = actual[0];
    return `expected ${customUserDescription ?? "something else"}, found ${first ? describeToken(first) : "end of file"}`;
  },
};

/**
 * The `.map` grammar as a pure Chevrotain CstParser: no actions, no semantics. Operator sequences
 * are flat (labels `prefix`, `operand`, `op`, `matches`, `regex`) and build-ast applies precedence;
 * labels are chosen so build-ast never has to guess which child is which.
 */
export class MapParser extends CstParser {
  constructor() {
    super([...T.allTokens], { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  /** How many more errors may be recorded before the parse is abandoned (see parseTokens). */
  errorBudget = Number.POSITIVE_INFINITY;

  /** Told of each line of a `fields` block as soon as it is parsed (see parseTokens). */
  onFieldLine: ((field: CstNode) => void) | undefined;

  /**
   * Each recovery costs a grammar walk, so megabytes of garbage would take minutes: past the budget
   * the parse stops. (Chevrotain calls this for every error it records; not in its typings.)
   */
  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    const saved = saveError.call(this, error);
    if (--this.errorBudget < 0) throw new TooManyErrors();
    return saved;
  }

  /**
   * Chevrotain inserts a missing token when the next one could follow it. Doing that across a line
   * break invents structure the user never wrote (a `<-` before the next field's target), so only
   * allow it on the same line, for punctuation, or at end of file.
   */
  canRecoverWithSingleTokenInsertion(expected: TokenType, follows: TokenType[]): boolean {
    if (!insertable.has(expected) || follows.length === 0) return false;
    const next = this.LA(1);
    const previous = this.LA(0);
    if (next.tokenType !== EOF && next.startLine !== previous.endLine) return false;
    return follows.some((f) => next.tokenType === f || (next.tokenType.CATEGORIES ?? []).includes(f));
  }

  public file = this.RULE("file", () => {
    this.MANY(() => this.SUBRULE(this.item));
  });

  public item = this.RULE("item", () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.mappingDecl) },
        { ALT: () => this.SUBRULE(this.endpointDecl) },
        { ALT: () => this.SUBRULE(this.fieldsBlock) },
        { ALT: () => this.SUBRULE(this.checkBlock) },
        { ALT: () => this.SUBRULE(this.exampleDecl) },
      ],
      ERR_MSG: "a block",
    });
  });

  public mappingDecl = this.RULE("mappingDecl", () => {
    this.CONSUME(T.Mapping, { LABEL: "keyword" });
    this.CONSUME(T.Name, { LABEL: "name" });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: "title" }));
  });

  public endpointDecl = this.RULE("endpointDecl", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Source, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(T.Target, { LABEL: "keyword" }) },
    ]);
    this.CONSUME(T.Name, { LABEL: "connector" });
    this.CONSUME(T.StringLiteral, { LABEL: "operation" });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.setting));
    this.CONSUME(T.RBrace, { LABEL: "close" });
  });

  // ---- settings ------------------------------------------------------------------------------

  public setting = this.RULE("setting", () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.paramsSetting) },
        { ALT: () => this.SUBRULE(this.windowSetting) },
        { ALT: () => this.SUBRULE(this.pageSetting) },
        { ALT: () => this.SUBRULE(this.pathSetting) },
        { ALT: () => this.SUBRULE(this.rateSetting) },
        { ALT: () => this.SUBRULE(this.retrySetting) },
        { ALT: () => this.SUBRULE(this.timeoutSetting) },
        { ALT: () => this.SUBRULE(this.formSetting) },
        { ALT: () => this.SUBRULE(this.batchSetting) },
        { ALT: () => this.SUBRULE(this.optionSetting) },
      ],
      ERR_MSG: "a setting",
    });
  });

  public paramsSetting = this.RULE("paramsSetting", () => {
    this.CONSUME(T.Params, { LABEL: "keyword" });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.paramEntry));
    this.CONSUME(T.RBrace, { LABEL: "close" });
  });

  public paramEntry = this.RULE("paramEntry", () => {
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME(T.Arrow);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  public windowSetting = this.RULE("windowSetting", () => {
    this.CONSUME(T.Window, { LABEL: "keyword" });
    // Without parameters, the window's bounds reach the request through params that use them
    // (Kingdee's FilterString).
    this.OPTION(() => {
      this.CONSUME(T.Name, { LABEL: "startParam" });
      this.CONSUME(T.DotDot);
      this.CONSUME2(T.Name, { LABEL: "endParam" });
    });
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Step);
            this.CONSUME(T.DurationLiteral, { LABEL: "step" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.From);
            this.CONSUME(T.StringLiteral, { LABEL: "from" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Format);
            this.CONSUME2(T.StringLiteral, { LABEL: "format" });
          },
        },
      ]);
    });
  });

  public pageSetting = this.RULE("pageSetting", () => {
    this.CONSUME(T.Page, { LABEL: "keyword" });
    this.CONSUME(T.Name, { LABEL: "mode" });
    this.CONSUME2(T.Name, { LABEL: "param" });
    this.OPTION(() => {
      this.CONSUME(T.From);
      this.OR({
        DEF: [
          { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "fromNumber" }) },
          { ALT: () => this.SUBRULE(this.path, { LABEL: "fromPath" }) },
        ],
        ERR_MSG: "a number or a response path",
      });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Size);
      this.CONSUME3(T.Name, { LABEL: "sizeParam" });
      this.CONSUME2(T.NumberLiteral, { LABEL: "size" });
    });
  });

  public pathSetting = this.RULE("pathSetting", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Records, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(T.Total, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(T.Id, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(T.NumberKw, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(T.IdCheck, { LABEL: "keyword" }) },
    ]);
    this.SUBRULE(this.path);
  });

  public rateSetting = this.RULE("rateSetting", () => {
    this.CONSUME(T.Rate, { LABEL: "keyword" });
    this.CONSUME(T.NumberLiteral, { LABEL: "count" });
    this.CONSUME(T.Slash);
    this.CONSUME(T.Name, { LABEL: "unit" });
  });

  public retrySetting = this.RULE("retrySetting", () => {
    this.CONSUME(T.Retry, { LABEL: "keyword" });
    this.CONSUME(T.NumberLiteral, { LABEL: "attempts" });
    this.OPTION(() => {
      this.CONSUME(T.Backoff);
      this.CONSUME(T.DurationLiteral, { LABEL: "min" });
      this.CONSUME(T.DotDot);
      this.CONSUME2(T.DurationLiteral, { LABEL: "max" });
    });
  });

  public timeoutSetting = this.RULE("timeoutSetting", () => {
    this.CONSUME(T.Timeout, { LABEL: "keyword" });
    this.CONSUME(T.DurationLiteral, { LABEL: "value" });
  });

  public formSetting = this.RULE("formSetting", () => {
    this.CONSUME(T.Form, { LABEL: "keyword" });
    this.CONSUME(T.StringLiteral, { LABEL: "value" });
  });

  public batchSetting = this.RULE("batchSetting", () => {
    this.CONSUME(T.Batch, { LABEL: "keyword" });
    this.CONSUME(T.NumberLiteral, { LABEL: "value" });
  });

  public optionSetting = this.RULE("optionSetting", () => {
    this.CONSUME(T.Option, { LABEL: "keyword" });
    this.CONSUME(T.Name, { LABEL: "name" });
    this.CONSUME(T.Assign);
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "value" }) },
        { ALT: () => this.CONSUME(T.DurationLiteral, { LABEL: "value" }) },
        { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "value" }) },
        { ALT: () => this.CONSUME(T.True, { LABEL: "value" }) },
        { ALT: () => this.CONSUME(T.False, { LABEL: "value" }) },
        { ALT: () => this.CONSUME(T.Null, { LABEL: "value" }) },
      ],
      ERR_MSG: "a literal value (a string, number, duration, true, false or null)",
    });
  });

  // ---- fields, check, example ----------------------------------------------------------------

  public fieldsBlock = this.RULE("fieldsBlock", () => {
    this.CONSUME(T.Fields, { LABEL: "keyword" });
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      const field = this.SUBRULE(this.field);
      this.ACTION(() => this.onFieldLine?.(field));
    });
    this.CONSUME(T.RBrace, { LABEL: "close" });
  });

  public field = this.RULE("field", () => {
    this.SUBRULE(this.path, { LABEL: "target" });
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.CONSUME(T.Name, { LABEL: "type" });
      this.OPTION2(() => this.CONSUME(T.Question, { LABEL: "optional" }));
    });
    this.CONSUME(T.Arrow);
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.eachExpr, { LABEL: "each" }) },
        { ALT: () => this.SUBRULE(this.expression, { LABEL: "value" }) },
      ],
      ERR_MSG: "a value",
    });
    this.OPTION3(() => this.CONSUME(T.StringLiteral, { LABEL: "label" }));
  });

  public eachExpr = this.RULE("eachExpr", () => {
    this.CONSUME(T.Each, { LABEL: "keyword" });
    this.SUBRULE(this.path, { LABEL: "source" });
    this.CONSUME(T.As);
    this.CONSUME(T.Name, { LABEL: "alias" });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.field));
    this.CONSUME(T.RBrace, { LABEL: "close" });
  });

  public checkBlock = this.RULE("checkBlock", () => {
    this.CONSUME(T.Check, { LABEL: "keyword" });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.checkRule));
    this.CONSUME(T.RBrace, { LABEL: "close" });
  });

  public checkRule = this.RULE("checkRule", () => {
    this.SUBRULE(this.expression, { LABEL: "test" });
    this.CONSUME(T.StringLiteral, { LABEL: "message" });
  });

  public exampleDecl = this.RULE("exampleDecl", () => {
    this.CONSUME(T.Example, { LABEL: "keyword" });
    this.CONSUME(T.StringLiteral, { LABEL: "name" });
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR({
        DEF: [
          { ALT: () => this.SUBRULE(this.exampleGiven, { LABEL: "given" }) },
          {
            ALT: () => {
              this.CONSUME(T.In);
              this.SUBRULE(this.object, { LABEL: "input" });
            },
          },
          {
            ALT: () => {
              this.CONSUME(T.Out);
              this.SUBRULE2(this.object, { LABEL: "output" });
            },
          },
        ],
        ERR_MSG: "`given`, `in` or `out`",
      });
    });
    this.CONSUME(T.RBrace, { LABEL: "close" });
  });

  public exampleGiven = this.RULE("exampleGiven", () => {
    this.CONSUME(T.Given, { LABEL: "keyword" });
    this.CONSUME(T.Name, { LABEL: "store" });
    this.CONSUME(T.LParen);
    this.CONSUME(T.StringLiteral, { LABEL: "collection" });
    this.CONSUME(T.RParen);
    this.SUBRULE(this.array, { LABEL: "documents" });
  });

  // ---- paths -----------------------------------------------------------------------------------

  /** Segments are inlined: a `[` `]` pair belongs to the name just before it. */
  public path = this.RULE("path", () => {
    this.segment(1);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.segment(2);
    });
  });

  private segment(idx: 1 | 2): void {
    this.or(idx, {
      DEF: [
        { ALT: () => this.consume(idx, T.Name, { LABEL: "name" }) },
        { ALT: () => this.consume(idx, T.BacktickName, { LABEL: "name" }) },
      ],
      ERR_MSG: "a name",
    });
    this.option(idx, () => {
      this.consume(idx, T.LBracket, { LABEL: "open" });
      this.consume(idx, T.RBracket, { LABEL: "close" });
    });
  }

  // ---- expressions -----------------------------------------------------------------------------

  /**
   * An operator sequence followed by pipes. The sequence is inlined (see `operators`) rather than a
   * subrule so that each level of `( … )` costs two rule calls: 200 levels fit on Node's stack.
   */
  public expression = this.RULE("expression", () => {
    this.operators();
    this.MANY4(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE(this.pipeCall, { LABEL: "call" });
    });
  });

  /** An operator sequence without pipes: the `else` branches of pipes, lookups and `if`. */
  public binaryExpr = this.RULE("binaryExpr", () => {
    this.operators();
  });

  /**
   * `prefix* operand (op prefix* operand | matches /re/)*`, flat: build-ast applies precedence,
   * which keeps the grammar (and the stack) from growing a rule per precedence level.
   */
  private operators(): void {
    this.MANY(() => this.prefix(1));
    this.SUBRULE(this.primary, { LABEL: "operand" });
    this.MANY2(() => {
      this.OR([
        {
          ALT: () => {
            this.OR2(binaryOperators.map((type) => ({ ALT: () => this.CONSUME2(type, { LABEL: "op" }) })));
            this.MANY3(() => this.prefix(3));
            this.SUBRULE2(this.primary, { LABEL: "operand" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Matches, { LABEL: "matches" });
            this.CONSUME(T.RegexLiteral, { LABEL: "regex" });
          },
        },
      ]);
    });
  }

  private prefix(idx: 1 | 3): void {
    this.or(idx + 3, [
      { ALT: () => this.consume(idx, T.Bang, { LABEL: "prefix" }) },
      { ALT: () => this.consume(idx, T.Minus, { LABEL: "prefix" }) },
    ]);
  }

  /**
   * `else` is only taken after a table (`| map { … } else v`): no other pipe has a use for it, and
   * this way `if c then x | trim else y` keeps its `else` for the `if`.
   */
  public pipeCall = this.RULE("pipeCall", () => {
    this.CONSUME(T.Name, { LABEL: "name" });
    this.OPTION(() => this.SUBRULE(this.argList, { LABEL: "args" }));
    this.OPTION2(() => {
      this.CONSUME(T.LBrace, { LABEL: "tableOpen" });
      this.OPTION3(() => {
        this.SUBRULE(this.mapEntry, { LABEL: "entry" });
        this.MANY(() => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.mapEntry, { LABEL: "entry" });
        });
        this.OPTION4(() => this.CONSUME2(T.Comma));
      });
      this.CONSUME(T.RBrace, { LABEL: "tableClose" });
      this.OPTION5(() => {
        this.CONSUME(T.Else);
        this.SUBRULE(this.binaryExpr, { LABEL: "else" });
      });
    });
  });

  public argList = this.RULE("argList", () => {
    this.CONSUME(T.LParen, { LABEL: "open" });
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: "arg" });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression, { LABEL: "arg" });
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen, { LABEL: "close" });
  });

  public mapEntry = this.RULE("mapEntry", () => {
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "key" }) },
        { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "key" }) },
        { ALT: () => this.CONSUME(T.True, { LABEL: "key" }) },
        { ALT: () => this.CONSUME(T.False, { LABEL: "key" }) },
        { ALT: () => this.CONSUME(T.Null, { LABEL: "key" }) },
      ],
      ERR_MSG: "a map key (a string, number, true, false or null)",
    });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  /** Parentheses and `if` are inlined here (not separate rules) to keep nesting cheap on the stack. */
  public primary = this.RULE("primary", () => {
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "literal" }) },
        { ALT: () => this.CONSUME(T.DurationLiteral, { LABEL: "literal" }) },
        { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "literal" }) },
        { ALT: () => this.CONSUME(T.True, { LABEL: "literal" }) },
        { ALT: () => this.CONSUME(T.False, { LABEL: "literal" }) },
        { ALT: () => this.CONSUME(T.Null, { LABEL: "literal" }) },
        { ALT: () => this.SUBRULE(this.call) },
        { ALT: () => this.SUBRULE(this.path) },
        {
          ALT: () => {
            this.CONSUME(T.LParen, { LABEL: "parenOpen" });
            this.SUBRULE(this.expression, { LABEL: "inner" });
            this.CONSUME(T.RParen, { LABEL: "parenClose" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.If, { LABEL: "ifKeyword" });
            this.SUBRULE2(this.expression, { LABEL: "test" });
            this.CONSUME(T.Then);
            this.SUBRULE3(this.expression, { LABEL: "then" });
            this.CONSUME(T.Else);
            this.SUBRULE(this.binaryExpr, { LABEL: "else" });
          },
        },
        { ALT: () => this.SUBRULE(this.lookupExpr) },
        { ALT: () => this.SUBRULE(this.jsonataExpr) },
        { ALT: () => this.SUBRULE(this.object) },
        { ALT: () => this.SUBRULE(this.array) },
      ],
      ERR_MSG: "a value",
    });
  });

  public call = this.RULE("call", () => {
    this.CONSUME(T.Name, { LABEL: "callee" });
    this.SUBRULE(this.argList, { LABEL: "args" });
  });

  public lookupExpr = this.RULE("lookupExpr", () => {
    this.CONSUME(T.Lookup, { LABEL: "keyword" });
    this.CONSUME(T.Name, { LABEL: "store" });
    this.CONSUME(T.LParen);
    this.CONSUME(T.StringLiteral, { LABEL: "collection" });
    this.CONSUME(T.Comma);
    this.CONSUME(T.Where);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.object, { LABEL: "where" });
    this.CONSUME2(T.Comma);
    this.CONSUME(T.Find);
    this.CONSUME2(T.Colon);
    this.SUBRULE(this.path, { LABEL: "find" });
    this.OPTION(() => this.CONSUME3(T.Comma));
    this.CONSUME(T.RParen, { LABEL: "close" });
    this.OPTION2(() => {
      this.CONSUME(T.Else);
      this.SUBRULE(this.binaryExpr, { LABEL: "else" });
    });
  });

  public jsonataExpr = this.RULE("jsonataExpr", () => {
    this.CONSUME(T.Jsonata, { LABEL: "keyword" });
    this.CONSUME(T.StringLiteral, { LABEL: "source" });
  });

  /** Entries are inlined (keys and values pair up by position) to keep nesting cheap. */
  public object = this.RULE("object", () => {
    this.CONSUME(T.LBrace, { LABEL: "open" });
    this.OPTION(() => {
      this.objectEntry(1);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.objectEntry(2);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBrace, { LABEL: "close" });
  });

  private objectEntry(idx: 1 | 2): void {
    this.or(idx, {
      DEF: [
        { ALT: () => this.consume(idx, T.Name, { LABEL: "key" }) },
        { ALT: () => this.consume(idx, T.BacktickName, { LABEL: "key" }) },
        { ALT: () => this.consume(idx, T.StringLiteral, { LABEL: "key" }) },
        { ALT: () => this.consume(idx, T.MongoOp, { LABEL: "key" }) },
      ],
      ERR_MSG: "a key (a name, a string or a `$` operator)",
    });
    this.consume(idx + 2, T.Colon);
    this.subrule(idx, this.expression, { LABEL: "value" });
  }

  public array = this.RULE("array", () => {
    this.CONSUME(T.LBracket, { LABEL: "open" });
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: "item" });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression, { LABEL: "item" });
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket, { LABEL: "close" });
  });
}

/** Not a recognition error, so Chevrotain's recovery lets it through to parseTokens. */
class TooManyErrors extends Error {}

const saveError = (CstParser.prototype as unknown as { SAVE_ERROR(e: IRecognitionException): IRecognitionException })
  .SAVE_ERROR;

const binaryOperators: readonly TokenType[] = [
  T.Coalesce, T.OrOr, T.AndAnd, T.EqEq, T.NotEq, T.LessEq, T.GreaterEq, T.Less, T.Greater,
  T.Plus, T.Minus, T.Star, T.Slash, T.Percent,
];

/** Tokens that carry no value, so inventing one during recovery loses nothing. */
const insertable = new Set<TokenType>([
  T.Arrow, T.RParen, T.RBrace, T.RBracket, T.Colon, T.Comma, T.DotDot, T.Then, T.Assign,
]);

const parser = new MapParser();

/** After this many syntax errors the rest of the file is not parsed. */
export const MAX_SYNTAX_ERRORS = 100;

/** The parse of one token vector: the CST root and Chevrotain's recognition errors. */
export interface CstParseResult {
  readonly cst: CstNode;
  /** In the order found; at most MAX_SYNTAX_ERRORS + 1. */
  readonly errors: IRecognitionException[];
  /** Set when parsing stopped early (too many errors): the CST covers only tokens before it. */
  readonly stoppedAt: IToken | undefined;
}

/**
 * Parses a token vector into a CST, reusing one parser instance (construction is expensive).
 * `onFieldLine` sees each top-level field line (a `field` node of a `fields` block) as soon as it is
 * complete, so a consumer can turn it into something smaller and empty it before the next line is
 * parsed; a file of 200,000 lines then never holds all their syntax trees at once. It may see nodes
 * of an abandoned first parse (see below) that the returned CST does not hold.
 * After MAX_SYNTAX_ERRORS it gives up and re-parses only the tokens before the last error, so the
 * CST is still whole for that part. May throw a RangeError on pathological nesting; callers
 * guard the depth first.
 */
export function parseTokens(tokens: IToken[], onFieldLine?: (field: CstNode) => void): CstParseResult {
  try {
    parser.onFieldLine = onFieldLine;
    parser.input = tokens;
    parser.errorBudget = MAX_SYNTAX_ERRORS;
    try {
      return { cst: parser.file(), errors: parser.errors, stoppedAt: undefined };
    } catch (e) {
      if (!(e instanceof TooManyErrors)) throw e;
    }
    const errors = parser.errors;
    const stoppedAt = errors[errors.length - 1]?.token;
    const cut = stoppedAt === undefined ? tokens.length : indexAtOrAfter(tokens, stoppedAt.startOffset);
    parser.input = tokens.slice(0, cut);
    parser.errorBudget = Number.POSITIVE_INFINITY;
    return { cst: parser.file(), errors, stoppedAt };
  } finally {
    // The shared parser would otherwise hold the last file's tokens until the next parse: for a
    // large file, hundreds of megabytes kept alive through everything that follows.
    parser.input = [];
    parser.onFieldLine = undefined;
  }
}

/** Index of the first token starting at or after `offset` (EOF and NaN offsets give the end). */
function indexAtOrAfter(tokens: readonly IToken[], offset: number): number {
  if (Number.isNaN(offset)) return tokens.length;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((tokens[mid]?.startOffset ?? Number.POSITIVE_INFINITY) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
