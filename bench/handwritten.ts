/**
 * The Guanyi shop → Kingdee customer mapping of mappings/guanyi-shops-to-kingdee-customers.map, written
 * by hand the way a good engineer would: plain property reads, one object literal, a Map for the
 * customer-type table. This is the baseline the compiled transform is measured against.
 */

/** A record of gy.erp.shop.get, as the Guanyi API sends it. */
export interface GuanyiShop {
  readonly id: number;
  readonly nick?: string | null;
  readonly code: string;
  readonly name: string;
  readonly create_date?: string | null;
  readonly modify_date?: string | null;
  readonly note?: string | null;
  readonly type_name?: string | null;
}

/** A row of Kingdee batchSave BD_Customer. */
export interface KingdeeCustomer {
  FName: string;
  FNumber: string;
  FCreateOrgId: { FNumber: string };
  FUseOrgId: { FNumber: string };
  FCustTypeId: { FNumber: string };
  FDescription?: string;
}

const RETAIL = "KHLB001_SYS";

const CUSTOMER_TYPES: ReadonlyMap<string, string> = new Map([
  ["天猫", RETAIL],
  ["京东", RETAIL],
  ["门店", "KHLB002_SYS"],
]);

export function shopToCustomer(shop: GuanyiShop): KingdeeCustomer {
  const typeName = shop.type_name;
  const row: KingdeeCustomer = {
    FName: shop.name,
    FNumber: shop.code,
    FCreateOrgId: { FNumber: "100" },
    FUseOrgId: { FNumber: "100" },
    FCustTypeId: { FNumber: (typeName == null ? undefined : CUSTOMER_TYPES.get(typeName)) ?? RETAIL },
  };
  const note = shop.note;
  if (note != null) row.FDescription = note;
  return row;
}
