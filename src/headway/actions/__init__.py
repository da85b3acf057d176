"""Journey actions: what Headway tells other tools when contacts move (docs/actions.md).

Journey events (recorded by the live stage state) fan out to subscriptions: signed outgoing
webhooks (Standard Webhooks) with durable retries and a dead-letter list, or JSON Lines files.
Cohort syncs keep an outside list equal to a step's contacts; holdouts measure whether an
action moves people; the digest mails each journey's week.
"""
