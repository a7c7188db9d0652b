/**
 * Alerting and data-quality monitoring: rules in `ferry.config.json` evaluated against the state
 * store, incidents opened and resolved once each, notices to DingTalk, WeCom, Feishu and generic
 * JSON webhooks, and anomaly detection over the field stats each run records.
 */
export {
  CONFIG_FILE,
  DEFAULT_ANOMALY_SETTINGS,
  RULE_KINDS,
  TARGET_TYPES,
  loadAlertsConfig,
  parseAlertsConfig,
  resolveSetting,
  type AlertRule,
  type AlertTarget,
  type AlertsConfig,
  type AnomalySettings,
  type LoadedConfig,
  type RuleKind,
  type TargetType,
} from "./config.js";
export { evaluateAlerts, eventOf, detailOf, type AlertsOutcome, type EvaluateOptions } from "./engine.js";
export { buildRequest, dingtalkSign, feishuSign, jsonPayload, type AlertEvent, type ResolvedTarget, type WebhookRequest } from "./formats.js";
export { deliver, fetchSend, redactor, type Delivery, type DeliveryOptions, type SendFn, type WebhookResponse } from "./notify.js";
export { describeAnomaly, detectAnomalies, findAnomalies, median, type DetectedAnomalies } from "./quality.js";
export { evaluateRules, incidentKey, type Firing, type IncidentDetail } from "./rules.js";
