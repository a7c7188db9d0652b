/**
 * Banniu (班牛) open API as the compiler and runtime see it. Wire facts: SYSTEMS.md, "Banniu".
 */
import type { ConnectorCatalog, OpenKeys, OperationSchema, RecordSchema } from "../catalog.js";

const SECOND = 1_000;
const DAY = 86_400 * SECOND;

/** Banniu rows and payloads are keyed by the project's numeric column ids, which differ per project. */
const columnKeys = (description: string): OpenKeys => ({ pattern: "^[0-9]+$", type: "string", description });

/** `task.list`: a project's tasks (工单) created within a window of at most one day. */
const taskList: OperationSchema = {
  name: "task.list",
  direction: "read",
  description: "工单列表: list a project's tasks created within a time window (at most one day per call).",
  method: "GET",
  params: [
    { name: "project_id", type: "string", required: true, description: "Project (群组) id." },
    { name: "page_size", type: "int", description: "Rows per page." },
    { name: "page_num", type: "int", description: "Page number, starting at 1." },
    // The spelling `star_created` is Banniu's own.
    {
      name: "star_created",
      type: "datetime",
      description: "Start of the creation-time window, `yyyy-MM-dd HH:mm:ss` (Asia/Shanghai).",
    },
    {
      name: "end_created",
      type: "datetime",
      description: "End of the creation-time window, `yyyy-MM-dd HH:mm:ss` (Asia/Shanghai); at most one day after the start.",
    },
    { name: "task_status", type: "string", description: "Only tasks in this status; values are project-specific." },
    { name: "condition_column", type: "string", description: "Column id to filter on; project-specific." },
  ],
  record: {
    title: "task.list rows",
    fields: [
      { name: "-1", type: "int", required: true, label: "工单id" },
      { name: "0", type: "int", label: "工单id", description: "Some projects carry the task id here instead." },
    ],
    openKeys: columnKeys("project column ids (e.g. 27963 goods number)"),
  },
  response: {
    records: "response.map.result",
    total: "response.total_results",
    paths: [
      "response",
      "response.code",
      "response.error_msg",
      "response.total_results",
      "response.page_no",
      "response.page_size",
      "response.has_next",
      "response.map",
      "response.map.result",
    ],
  },
  // Banniu refuses wider windows, so the runtime must cut longer ones.
  limits: { maxWindowMs: DAY },
  // The seed flow's page size; Banniu publishes no maximum.
  defaults: { pageSize: 100 },
};

const taskRow: RecordSchema = {
  title: "task.update rows",
  fields: [
    { name: "project_id", type: "string", required: true, label: "群组ID" },
    { name: "app_id", type: "string", label: "应用ID" },
    { name: "task_id", type: "int", required: true, label: "工单id" },
    {
      name: "contents",
      type: "object",
      required: true,
      label: "工单内容",
      openKeys: columnKeys("column id → value"),
    },
  ],
};

/** `task.update`: change columns of one task. */
const taskUpdate: OperationSchema = {
  name: "task.update",
  direction: "write",
  description: "更新工单: set column values of one task.",
  method: "POST",
  params: [],
  record: taskRow,
  // What a task holds is read back by task.getTask (project_id, task_id).
  confirm: "task.getTask",
  // The body carries one task; several updates travel together in task.batchUpdate's body, which
  // answers per task, so a batch costs one call instead of one per task at 2 calls a second.
  sendAs: "task.batchUpdate",
  defaults: { batch: 50 },
};

/** `task.batchUpdate`: change columns of several tasks in one call (`{"data": [...]}`). */
const taskBatchUpdate: OperationSchema = {
  name: "task.batchUpdate",
  direction: "write",
  description: "批量更新工单: set column values of several tasks in one call.",
  method: "POST",
  params: [],
  record: taskRow,
  confirm: "task.getTask",
  // Banniu publishes no batch-size limit; 50 is a conservative guess, left overridable.
  defaults: { batch: 50 },
};

/** Banniu (班牛): both a source (task.list) and a target (task.update) in the seed flows. */
export const banniuCatalog: ConnectorCatalog = {
  name: "banniu",
  title: "班牛",
  operations: [taskList, taskUpdate, taskBatchUpdate],
  defaults: {
    // The seed flow waits 0.5 s between calls and retries 3 times at 2 s, 4 s, 8 s.
    rate: { count: 2, perMs: SECOND },
    retry: { attempts: 3, minMs: 2 * SECOND, maxMs: 8 * SECOND },
    timeoutMs: 30 * SECOND,
  },
};
