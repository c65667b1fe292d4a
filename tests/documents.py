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
