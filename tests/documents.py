"""The source documents' own examples, verbatim, for the tests that run them."""

# automations.txt, "Quick Start (API)": Example: Payment Failed Dunning.
QUICK_START = """\
name: Payment Failed - Dunning Email
trigger:
  type: event
  event: payment.failed

steps:
  - type: condition
    if: "{{trigger.failureCount}} == 1"
    then:
      - type: action
        action: send_email
        template: payment_failed_first
        to: "{{trigger.customer.email}}"

  - type: delay
    duration: "3d"

  - type: condition
    if: "{{invoice.status}} == 'unpaid'"
    then:
      - type: action
        action: retry_payment
"""

# automations.txt, "Key Concepts" > "Conditions".
CONDITION_RULES = """\
IF invoice.amount > 1000
AND customer.segment = "enterprise"
THEN continue
ELSE skip"""

# automations.txt, "Error Handling" > "Retry Configuration".
RETRY_CONFIGURATION = """\
{
  "errorHandling": {
    "retries": 3,
    "retryDelay": "5m",
    "backoffMultiplier": 2
  }
}"""

# automations.txt, "Error Handling" > "Fallback Actions".
FALLBACK_ACTIONS = """\
steps:
  - type: action
    action: send_email
    onError:
      - type: action
        action: create_task
        assignee: "{{trigger.accountOwner}}"
        message: "Email failed to send"
"""

# automations.txt, "Execution Tracking" > "Execution API": the response.
EXECUTIONS_RESPONSE = """\
{
  "executions": [
    {
      "id": "exec_456",
      "status": "completed",
      "triggeredBy": "invoice.paid",
      "triggeredAt": "2024-01-20T10:00:00Z",
      "completedAt": "2024-01-20T10:00:05Z",
      "stepsExecuted": 3
    }
  ]
}"""
